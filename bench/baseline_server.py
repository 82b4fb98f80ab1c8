"""The baseline: a bare Flask-SocketIO server on eventlet with chatapp's protocol shape.

No persistence, auth, presence, validation or NATS: join acks, send broadcasts
the message to the room and acks. What chatapp is compared with.

    python -m bench.baseline_server --port 5100 [--redis redis://127.0.0.1:6379/0]
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import gc  # noqa: E402
import itertools  # noqa: E402
import socket  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--redis")
args = parser.parse_args()

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode="eventlet",
    message_queue=args.redis,
    channel="bench-baseline",
    logger=False,
    engineio_logger=False,
)
ids = itertools.count(1)


@socketio.on("join")
def join(data):
    join_room(data["room"])
    return {"ok": True, "room": data["room"]}


@socketio.on("send")
def send(data):
    message = {
        "id": next(ids),
        "room": data["room"],
        "seq": 0,
        "user": request.sid[:8],
        "text": data["text"],
        "ts": datetime.now(UTC).isoformat(),
        "client_id": data.get("client_id"),
    }
    socketio.emit("message", message, to=data["room"])
    return {"ok": True, "message": message}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


if __name__ == "__main__":
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket per client
    listener = eventlet.listen(("127.0.0.1", args.port), backlog=2048)
    # As chatapp's serve does (and gunicorn): without it Nagle's algorithm and
    # delayed ACKs put a floor of tens of ms under small frames, which would
    # measure the TCP stack rather than the server.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Likewise the startup objects are frozen for the GC, as serve does.
    gc.collect()
    gc.freeze()
    eventlet.wsgi.server(listener, app, max_size=20000, log_output=False)
