"""The one place that shapes outgoing data.

The Socket.IO event, the REST response and the NATS event of a message are all
built here, so the three forms cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatapp.models import User


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, e.g. 2026-11-21T13:41:21.123Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def user_payload(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
        "is_disabled": user.is_disabled,
        "created": isoformat(user.created_at),
    }
