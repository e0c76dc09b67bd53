"""The node's HTTP gateway (FastAPI): its SQLite index of the ledger, the REST API, auth and the live stream."""
