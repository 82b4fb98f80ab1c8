"""The pages a browser gets: the web client at `/`, or a landing page without it.

The web client is built from `web/` into `static/app/` (`make web`); it is an
output, not committed. Until it is built, `/` is the landing page, saying how
to build it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, render_template
from flask_login import current_user

from chatapp.extensions import limiter

bp = Blueprint("web", __name__)

#: Everything from this origin only; no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

#: The built web client, under the static folder.
BUNDLE = ("app/app.js", "app/app.css")


def bundle_version() -> str | None:
    """A version of the built client for its URLs (its mtime), or None if it is not built."""
    static = Path(current_app.static_folder or "")
    try:
        return str(max(int((static / name).stat().st_mtime) for name in BUNDLE))
    except OSError:
        return None


@bp.get("/")
@limiter.exempt
def landing():
    """The web client's page; without a built client, what this server is and how to build it."""
    version = bundle_version()
    if version is None:
        page = render_template("index.html")
    else:
        # Who is logged in, so the client starts without asking (and without a 401).
        user = current_user if current_user.is_authenticated else None
        page = render_template(
            "app.html",
            version=version,
            registration=current_app.config["REGISTRATION"],
            user=user,
        )
    # A few lines naming the bundle and the user: never stored, never stale.
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"}
    return page, 200, headers


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
