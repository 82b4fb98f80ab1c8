"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Pinned to gunicorn 25.3.0: gunicorn 26.0 removed the eventlet worker, and 25.3
is the last release with it (deprecated there, working with eventlet 0.41 and
Flask-SocketIO 5.7). eventlet's asyncio hub crash-loops under gunicorn 24 and
later, so the default hub is kept.

One worker per process: Flask-SocketIO keeps each client's state in the
process that accepted it and cannot spread one server over several workers.
Scale with more gunicorn processes (or containers) behind a load balancer with
sticky sessions, sharing Redis (REDIS_URL) as the message queue.
"""

import os

# Production unless told otherwise: refuses to start without a real SECRET_KEY.
os.environ.setdefault("CHATAPP_ENV", "production")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "eventlet"
workers = 1
# eventlet's default is 1,000 connections per worker; a chat server holds one per client.
worker_connections = int(os.environ.get("MAX_CONNECTIONS", "10000"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# chatapp logs every request itself (JSON, with trace ids); gunicorn's own
# access log is off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn 25 otherwise creates a control socket under ~/.gunicorn.
control_socket_disable = True
proc_name = "chatapp"


def post_worker_init(worker):
    """In the worker, after fork: JSON logs, then what `serve` does before serving."""
    from chatapp.logs import configure_logging
    from chatapp.server.worker import start_worker

    app = worker.wsgi
    configure_logging(app)
    start_worker(app, worker_connections)


def worker_exit(server, worker):
    """Graceful shutdown: publish what the outbox relay still holds, then stop."""
    from chatapp.server.background import stop_background_work

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        stop_background_work(app)
