"""The session cookie, read once per Socket.IO connection instead of once per event.

Flask-SocketIO runs every event in a Flask request context built from the
connection's handshake environ. Pushing that context opens the session (Flask
does it eagerly), and the cookie interface parses the Cookie header and checks
the cookie's signature (HMAC, JSON, zlib) each time; then Flask-SocketIO throws
that session away and puts back the one it manages for the connection, a copy
taken at the first event and kept in the environ as "saved_session". So every
event paid for a signature check whose result nobody read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask.sessions import SecureCookieSessionInterface, SessionMixin

if TYPE_CHECKING:
    from flask import Flask, Request

# Where Flask-SocketIO (5.x, manage_session=True, its default) keeps a
# connection's session: in the environ every event of the connection shares.
MANAGED = "saved_session"


class SocketSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions, as Flask's; a socket event gets its connection's session.

    HTTP requests (a new environ each) and a connection's first event (no
    managed session yet) read the cookie as before; logout and disable still
    bite through sockets.session.session_user, which re-reads the login.
    """

    # Flask types the result as its cookie session class; Flask-SocketIO's
    # managed session is another SessionMixin, which is all Flask needs.
    def open_session(  # type: ignore[override]
        self, app: Flask, request: Request
    ) -> SessionMixin | None:
        managed = request.environ.get(MANAGED)
        if managed is not None:
            return managed  # Flask-SocketIO installs this same object next
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            # No cookie (a token's connect, most API calls): what Flask returns
            # too, without first building a signing serializer for nothing.
            return self.session_class()
        return super().open_session(app, request)
