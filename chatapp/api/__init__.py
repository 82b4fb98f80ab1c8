"""The JSON REST API under /api."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

# Route modules attach themselves to `bp`; imported for that side effect.
from chatapp.api import auth, docs, me, rooms, team  # noqa: E402,F401
