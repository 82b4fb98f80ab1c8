"""The running server: `serve`, gunicorn, its door, several processes, faults, logs, metrics."""
