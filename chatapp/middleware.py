"""WSGI layers called so that an idle websocket's green thread stays small.

A websocket never returns from the WSGI chain while it is connected: its
green thread waits at the bottom of it, and the green-thread library keeps
that thread's C stack copied on the heap for the connection's life.
"""

from __future__ import annotations

import inspect
import types
from typing import Any


def direct(wsgi_app: Any) -> Any:
    """`wsgi_app` in a form that Python calls without recursing in C.

    CPython 3.11 runs a Python function called from Python inside the
    interpreter loop it is in, but calling an object through its `__call__`
    enters C (the type's call slot) and a new loop, whose C frames stay on the
    stack until the call returns. Each such level in the chain cost every idle
    connection about 0.7 KiB (docs/benchmarks.md, capacity). The bound
    `__call__` of a class written in Python is an ordinary Python call.
    """
    if isinstance(wsgi_app, types.FunctionType | types.MethodType):
        return wsgi_app
    # What calling the object runs: its type's __call__ (not an attribute of
    # the instance), bound to it.
    call = inspect.getattr_static(type(wsgi_app), "__call__", None)
    if isinstance(call, types.FunctionType):
        return types.MethodType(call, wsgi_app)
    return wsgi_app  # written in C: calling it enters C either way
