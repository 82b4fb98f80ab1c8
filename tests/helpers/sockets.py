"""Reading Flask-SocketIO's test client: acks, received events."""

from __future__ import annotations


def ack(sock, event, *args):
    """Emit `event` and return the server's acknowledgement (its trace id checked, removed)."""
    reply = sock.emit(event, *args, callback=True)
    if isinstance(reply, dict):
        trace_id = reply.pop("trace_id", None)
        assert isinstance(trace_id, str) and len(trace_id) >= 8, reply
    return reply


def payload(event):
    # Flask-SocketIO's test client stores "message" events unwrapped (it takes
    # them for send() packets); every other event's args are a list.
    return event["args"] if event["name"] in ("message", "json") else event["args"][0]


def received(sock, name):
    """Payloads of the events called `name` that `sock` received since last asked."""
    return [payload(event) for event in sock.get_received() if event["name"] == name]


def drain(*socks):
    """Forget what these sockets received so far."""
    for sock in socks:
        sock.get_received()
