"""Telling a publish failure that will pass from one that never will.

A transient failure (NATS unreachable, a timeout, no JetStream responder)
stops the relay, which retries the same rows in order. A permanent one
concerns one row only and would stop the relay forever: that row goes to the
dead letters and the rest move on. Rows are checked before they are sent, so
the verdict does not hang on which exception a client version raises (nats-py
answers "no responders" to a subject with an empty token, and the server
drops the whole connection for an oversized message).
"""

from __future__ import annotations

#: JetStream API errors that depend on the message alone: "message size
#: exceeds maximum allowed" and "header size exceeds maximum allowed".
PERMANENT_JETSTREAM_CODES = {10054, 10097}


class Unpublishable(Exception):
    """This row can never be published as it is."""


def publishable_subject(subject: str) -> bool:
    """Dot-separated tokens of printable ASCII, none empty, no space, no wildcard."""
    return all(
        token and all("!" <= c <= "~" for c in token) and "*" not in token and ">" not in token
        for token in subject.split(".")
    )


def header_size(headers: dict[str, str]) -> int:
    """Bytes of the NATS header block nats-py sends for `headers`."""
    lines = sum(len(k.encode()) + len(v.encode()) + 4 for k, v in headers.items())  # "k: v\r\n"
    return len(b"NATS/1.0\r\n") + lines + 2


def fits(headers: dict[str, str], payload: bytes, max_payload: int) -> bool:
    """Whether the server takes this message: it counts the headers too."""
    return len(payload) + header_size(headers) <= max_payload


def check(subject: str, headers: dict[str, str], payload: bytes, max_payload: int) -> None:
    """Raise Unpublishable if NATS could never accept this message."""
    if not publishable_subject(subject):
        raise Unpublishable(f"invalid NATS subject {subject!r}")
    if not fits(headers, payload, max_payload):
        size = len(payload) + header_size(headers)
        # The server counts headers too, and answers an oversized message by
        # closing the connection: it must never be sent.
        raise Unpublishable(
            f"message of {size} bytes exceeds the server's max_payload {max_payload}"
        )


def is_permanent(error: BaseException) -> bool:
    """True when retrying the same row can never succeed."""
    from nats.errors import BadHeaderError, BadSubjectError, MaxPayloadError
    from nats.js.errors import APIError

    if isinstance(error, Unpublishable | BadSubjectError | BadHeaderError | MaxPayloadError):
        return True
    return isinstance(error, APIError) and error.err_code in PERMANENT_JETSTREAM_CODES


def describe(error: BaseException) -> str:
    text = str(error) or error.__class__.__name__
    return f"{error.__class__.__name__}: {text}"
