"""Log from green threads and a real OS thread at once, as the NATS link does.

Run as a module, `python -m tests.scripts.logging_across_threads` (eventlet
patches first). Exits 0 and prints "ok" when every line was written without
eventlet failing to switch threads.
"""

import eventlet

eventlet.monkey_patch()

import io  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402

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


def os_thread_logger():
    try:
        for n in range(N):
            log.error("from the OS thread %d", n)
    except BaseException as error:  # reported below
        failures.append(repr(error))


def green_logger(tag):
    for n in range(N):
        log.error("from green %s %d", tag, n)
        if n % 50 == 0:
            eventlet.sleep(0)


thread = real_threading.Thread(target=os_thread_logger)
thread.start()
pool = [eventlet.spawn(green_logger, tag) for tag in "ab"]
for green in pool:
    green.wait()
while thread.is_alive():
    eventlet.sleep(0.01)
lines = sink.getvalue().count("\n")
if failures or lines != 3 * N:
    print("FAILED", failures[:1], lines)
    sys.exit(1)
print("ok")
