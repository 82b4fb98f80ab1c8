"""The pages a browser gets: for now a landing page at `/`."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from chatapp.extensions import limiter

bp = Blueprint("web", __name__)

#: Everything from this origin only; no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@bp.get("/")
@limiter.exempt
def landing():
    """What this server is, and where to go from here (the API docs, the terminal client)."""
    response = render_template("index.html")
    return response, 200, {"Content-Security-Policy": CONTENT_SECURITY_POLICY}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
