"""Hypothesis strategies and checks shared by the fuzz tests (tests/sockets/test_fuzz*.py).

Never a 500, never `internal_error`, never a traceback; always the one error shape.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

KNOWN_CODES = {
    "bad_request",
    "too_long",
    "not_in_room",
    "not_found",
    "unknown_command",
    "unknown_event",
    "rate_limited",
    "unauthorized",
    "forbidden",
    "conflict",
    "unsupported_media_type",
    "too_large",
    "method_not_allowed",
    "unavailable",
}

# Every code point, lone surrogates included, with bidi and zero-width ones made likely.
nasty_text = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=50),
    st.sampled_from(
        [
            "\u202e",
            "\u200b",
            "\x00",
            "\ud800",
            "#",
            "#help",
            "#history x",
            " " * 5000,
            "x" * 5000,
            "general",
            "../..",
            "\x1b[2J",
        ]
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)
    ),
    max_leaves=20,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def check_ack(reply, codes=frozenset(KNOWN_CODES)):
    """An ack of the documented shape: ok true, or ok false with a code from `codes`."""
    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), reply
    if not reply["ok"]:
        assert reply["error"]["code"] in codes, reply
        assert isinstance(reply["error"]["message"], str)
        assert "Traceback" not in json.dumps(reply)


def check_response(response, codes=frozenset(KNOWN_CODES)):
    """Below 500; an error is {"error": {"code", "message"}} with a code from `codes`."""
    assert response.status_code < 500, response.data[:300]
    if response.status_code >= 400:
        body = response.get_json()
        assert set(body) == {"error"} and body["error"]["code"] in codes, body
        assert b"Traceback" not in response.data
