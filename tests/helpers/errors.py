"""The one error shape, as an HTTP client sees it."""

from __future__ import annotations


def assert_error(response, status, code=None):
    """`response` is `status` with the one JSON error body, {"error": {"code", "message"}}."""
    assert response.status_code == status, response.data[:200]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    assert b"Traceback" not in response.data
    assert b"<html" not in response.data.lower()
