"""The WSGI chain: layers called without recursing in C, Socket.IO's path matched by a rule.

CPython calls a Python function or bound method from Python inside the same
interpreter loop; an object's `__call__` goes through C into a new one, whose
C frames each idle websocket's green thread keeps copied on the heap
(chatapp.middleware, docs/benchmarks.md: about 0.7 KiB per connection each).
"""

from __future__ import annotations

import functools
import inspect
import types

import pytest
from flask import request
from flask_socketio import _SocketIOMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import EnvironBuilder

from chatapp.middleware import direct
from tests.helpers.errors import assert_error


class Layer:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def plain(environ, start_response):
    return [b"plain"]


def test_a_python_object_is_called_through_its_bound_method():
    layer = Layer(plain)
    called = direct(layer)
    assert isinstance(called, types.MethodType) and called.__self__ is layer
    assert called({}, None) == [b"plain"]


def test_it_calls_what_calling_the_object_runs():
    layer = Layer(plain)
    layer.__call__ = lambda environ, start_response: [b"attribute"]  # layer() ignores it
    assert direct(layer)({}, None) == layer({}, None) == [b"plain"]


def test_functions_methods_and_c_callables_are_kept():
    layer = Layer(plain)
    assert direct(plain) is plain
    bound = layer.__call__
    assert direct(bound) is bound
    partial = functools.partial(plain, {})
    assert direct(partial) is partial  # written in C: nothing to gain


def next_layer(layer):
    """The WSGI app `layer` calls next: a middleware function's `wsgi_app`, or an object's app."""
    if isinstance(layer, types.MethodType) and isinstance(layer.__self__, ProxyFix):
        return layer.__self__.app
    if isinstance(layer, types.MethodType):
        return None  # the Flask app itself, or the Socket.IO middleware: the chain's end
    return inspect.getclosurevars(layer).nonlocals["wsgi_app"]


def test_the_served_chain_has_no_layer_called_as_an_object(make_app):
    app = make_app(PROXY_FIX_X_FOR=1)
    layers, layer = [], app.wsgi_app
    while layer is not None:
        layers.append(layer)
        layer = next_layer(layer)
    names = [getattr(layer, "__qualname__", type(layer).__name__) for layer in layers]
    assert names == [
        "ProxyFix.__call__",
        "host_check.<locals>.checked",
        "handshake_gate.<locals>.gate",
        "_SocketIOMiddleware.__call__",
    ]
    for layer in layers:
        function = layer.__func__ if isinstance(layer, types.MethodType) else layer
        assert isinstance(function, types.FunctionType), layer
    assert isinstance(layers[-1].__self__, _SocketIOMiddleware)
    served = direct(app)
    assert isinstance(served, types.MethodType) and served.__self__ is app


@pytest.mark.parametrize("path", ["/socket.io/", "/socket.io"])  # the second: the test client's
@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {"Upgrade": "websocket", "Connection": "Upgrade"}),  # a websocket
        ("GET", {}),  # polling
        ("POST", {}),
    ],
)
def test_a_socket_event_context_matches_a_rule_and_keeps_no_exception(app, path, method, headers):
    """Flask-SocketIO pushes a request context per event from the connection's environ.

    A path with no rule made Flask keep a NotFound with its traceback on each
    one: a cycle of frames for the garbage collector per event.
    """
    environ = EnvironBuilder(path=path, method=method, headers=headers).get_environ()
    with app.request_context(environ):
        assert request.routing_exception is None
        assert request.url_rule is not None and request.url_rule.endpoint == "socketio"


def test_the_socketio_path_still_reaches_socketio(client):
    handshake = client.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status_code == 200 and handshake.data.startswith(b"0{")
    assert_error(client.get("/socket.io"), 404, "not_found")  # Flask's, as before the rule
