"""Keep library log lines and stray thread tracebacks off the chat screen.

python-socketio and python-engineio, given no logger, attach a stderr handler
of their own at ERROR level: lines such as "packet queue is empty, aborting"
were printed through the prompt. The client hands them loggers that print
nothing, unless `--debug` (or CHATAPP_DEBUG=1) routes them to stderr.
"""

from __future__ import annotations

import logging
import sys
import threading

SOCKETIO = logging.getLogger("chatclient.socketio")
ENGINEIO = logging.getLogger("chatclient.engineio")
CLIENT = logging.getLogger("chatclient")
# A library's logger gets a NullHandler (the logging HOWTO's advice): without
# any handler, Python's last resort prints warnings to stderr.
CLIENT.addHandler(logging.NullHandler())
CLIENT.propagate = False


def configure(debug: bool) -> None:
    """Quiet by default; with `debug`, library and client logs go to stderr."""
    for handler in list(CLIENT.handlers):
        CLIENT.removeHandler(handler)
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        CLIENT.addHandler(handler)
        CLIENT.setLevel(logging.INFO)
    else:
        CLIENT.addHandler(logging.NullHandler())
        CLIENT.setLevel(logging.CRITICAL + 1)
    threading.excepthook = _log_thread_error


def _log_thread_error(args: threading.ExceptHookArgs) -> None:
    """An exception escaping a library thread is logged, not printed into the chat."""
    if args.exc_type is SystemExit:
        return
    CLIENT.error(
        "uncaught error in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=args.exc_value,  # its type and traceback come with it
    )
