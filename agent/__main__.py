"""`python -m agent ...` runs the agent CLI."""

from .cli import app

app()
