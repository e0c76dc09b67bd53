"""The `flexledger` command line: the FSP's wallet, node and deployment helpers, the demo."""
