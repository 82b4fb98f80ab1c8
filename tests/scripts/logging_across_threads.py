"""Log from green threads and a real OS thread at once, as the NATS link does.

Run as a module, `python -m tests.scripts.logging_across_threads` (eventlet
patches first). Exits 0 and prints "ok" when the OS thread can log while a
green thread holds threading's lock, and every line of a run of both at once
was written without eventlet failing to switch threads or hanging.
"""

import eventlet

eventlet.monkey_patch()

import io  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from chatapp import create_app  # noqa: E402
from chatapp.logs import configure_logging  # noqa: E402

app = create_app(
    {
        "TESTING": True,
        "SECRET_KEY": "k" * 40,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SOCKETIO_ASYNC_MODE": "threading",
    }
)
configure_logging(app)
sink = io.StringIO()
logging.getLogger().handlers[0].setStream(sink)  # keep the output off the terminal
failures = []
log = logging.getLogger("stress")
real_threading = eventlet.patcher.original("threading")
N = 3000


written = [0]
green_done = real_threading.Event()


def os_thread_logger():
    """Log until the green threads are done (and at least N lines)."""
    try:
        while written[0] < N or not green_done.is_set():
            log.error("from the OS thread %d", written[0])
            written[0] += 1
    except BaseException as error:  # reported below
        failures.append(repr(error))


def green_logger(n):
    log.error("from green thread %d", n)


def log_while_a_green_thread_enumerates() -> bool:
    """Can the OS thread log while the hub's thread holds threading's module lock?

    A green thread holds that lock while it enumerates threads, as its first
    record does when records name their thread (eventlet#647). Waiting for it
    from an OS thread waits on the wrong hub, forever.
    """
    threading._active_limbo_lock.acquire()
    try:
        logger = real_threading.Thread(target=log.error, args=("while enumerating",), daemon=True)
        logger.start()
        logger.join(5)
        return not logger.is_alive()
    finally:
        threading._active_limbo_lock.release()


if not log_while_a_green_thread_enumerates():
    print("FAILED: the OS thread's record waits for a green lock")
    sys.exit(1)

# A server spawns a green thread per event: each one's first record asks
# threading who it is, which is when a green thread and the OS thread meet.
thread = real_threading.Thread(target=os_thread_logger)
thread.start()
for start in range(0, 2 * N, 100):
    pool = [eventlet.spawn(green_logger, n) for n in range(start, start + 100)]
    for green in pool:
        green.wait()
green_done.set()
while thread.is_alive():
    eventlet.sleep(0.01)
lines = sink.getvalue().count("\n")
if failures or lines != 1 + 2 * N + written[0]:
    print("FAILED", failures[:1], lines)
    sys.exit(1)
print("ok")
