"""Running chatapp: the only package that knows the server is eventlet.

`green` answers "is the green hub in charge?" and hands out real OS threads
and locks; `worker` starts a serving process (shared by `serve` and the
gunicorn worker); `background` is the per-process upkeep; `serve` is the
command; `listener` its socket and per-connection deadlines.
"""
