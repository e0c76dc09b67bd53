"""Plumbing shared by the command lines (`flexledger`, `flexwallet`): option types, how a command
reaches the ledger and picks its key, output, and the error -> exit-code mapping (`run_cli`)."""
