"""`flexledger`: the operator's and auditor's commands (node, deploy, round, clear, settle, verify, demo)."""
