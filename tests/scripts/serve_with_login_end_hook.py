"""`cli.py serve` with one test-only route: POST /api/test/end-login/<username>.

The route does to that user's sockets what the server does to a socket whose
login ended (emit `unauthorized`, then cut it off), but leaves the login itself
valid. So a client passes the test only if it obeys the `unauthorized` event:
one that ignores it reconnects, and is let in again.

Run as a module from the project's root, with `cli.py serve`'s arguments:
`python -m tests.scripts.serve_with_login_end_hook serve ...` (eventlet patches first).
"""

import eventlet

eventlet.monkey_patch()

import runpy  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

from flask import jsonify  # noqa: E402

from chatapp.api import bp  # noqa: E402
from chatapp.extensions import socketio  # noqa: E402
from chatapp.presence import local_sessions  # noqa: E402
from chatapp.sockets.session import cut_off  # noqa: E402

ENDED = {"code": "unauthorized", "message": "Your login session has ended; log in again."}


@bp.post("/test/end-login/<username>")
def end_login(username: str):
    """Tell every socket of `username` on this process that its login ended, then cut it."""
    sids = [sid for sid, (user, _) in local_sessions().snapshot().items() if user == username]
    for sid in sids:
        socketio.emit("unauthorized", ENDED, to=sid)
        cut_off(sid)
    return jsonify({"sockets": len(sids)})


if __name__ == "__main__":
    sys.argv = [str(ROOT / "cli.py"), *sys.argv[1:]]
    runpy.run_path(str(ROOT / "cli.py"), run_name="__main__")
