"""The admin commands: `cli.py users ...` and `cli.py events ...`."""
