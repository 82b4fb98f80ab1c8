"""Liveness: is this process up and answering?"""

from flask import Blueprint, jsonify

from chatapp.extensions import limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Answers 200 while the process can serve requests; touches no dependency."""
    return jsonify({"status": "ok"})
