"""Short texts other people read (topics, kick and ban reasons): the message rules."""

from __future__ import annotations

from chatapp.errors import TooLong
from chatapp.schemas import MAX_REASON, MAX_TOPIC, clean_message_text


def clean_topic(topic: str | None) -> str | None:
    """A topic by the text rules of a message, at most MAX_TOPIC characters; "" clears it."""
    return _clean(topic, MAX_TOPIC, "Topics")


def clean_reason(reason: str | None) -> str | None:
    return _clean(reason, MAX_REASON, "Reasons")


def _clean(text: str | None, limit: int, what: str) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return clean_message_text(text, limit)
    except TooLong:
        raise TooLong(f"{what} are at most {limit} characters.") from None
