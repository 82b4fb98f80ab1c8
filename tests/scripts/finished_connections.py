"""What a finished HTTP connection leaves for the garbage collector, by protocol.

Run as a module, `python -m tests.scripts.finished_connections` (eventlet
patches first). Serves 20 requests, each on its own connection, once with
`serve`'s protocol (chatapp.server.listener) and once with eventlet's own, and
prints, as JSON, how many protocol objects each left in reference cycles.
"""

import eventlet

eventlet.monkey_patch()

import gc  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402

from chatapp.server.listener import DeadlineProtocol  # noqa: E402

REQUESTS = 20


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def cycles_left(protocol) -> dict:
    listener = eventlet.listen(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = eventlet.spawn(
        eventlet.wsgi.server, listener, app, log_output=False, protocol=protocol
    )
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector frees is kept in gc.garbage
    served = 0
    for _ in range(REQUESTS):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := client.recv(4096):
            reply += chunk
        client.close()
        served += reply.endswith(b"ok")
    eventlet.sleep(0.2)  # the server's green threads finish their connections
    gc.collect()
    left = sum(isinstance(o, eventlet.wsgi.HttpProtocol) for o in gc.garbage)
    gc.set_debug(0)
    gc.garbage.clear()
    server.kill()
    listener.close()
    return {"served": served, "protocols_in_cycles": left}


print(
    json.dumps(
        {
            "chatapp": cycles_left(DeadlineProtocol.bind(5.0)),
            "eventlet": cycles_left(eventlet.wsgi.HttpProtocol),
        }
    )
)
