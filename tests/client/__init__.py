"""The terminal client, `cli.py chat`: piped, on a pseudo-terminal, its settings."""
