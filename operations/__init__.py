"""Use cases every front end calls (CLI, gateway, demo, adapters): clearing run, settlement run,
verification, readings submission, the demo scenario. Imports domain/, ledger/, clearing/, agent/."""
