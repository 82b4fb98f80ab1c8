"""Input validation shared by REST routes and socket events.

`parse(model, data)` checks text hygiene (no NUL, no lone surrogates) over the
whole payload, then validates it with a strict pydantic model, so both
transports accept exactly the same inputs and fail with the same errors.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chatapp.errors import BadRequest, ValidationFailed

# Whole-string rules. Python's `$` also matches before a trailing newline, so
# the compiled ones are only ever applied with `fullmatch`; the pydantic
# patterns run on its Rust engine, where `$` is the end of the text.
USERNAME_RE = r"^[A-Za-z0-9_.\-]{3,32}$"
ROOM_RE = re.compile(r"[a-z0-9_\-]{1,64}")
# Direct conversations are named by their two user ids, "~<low>-<high>": a
# form no one can give a room they create, so the two kinds never collide.
# One whose user was deleted gets its room id appended (services.direct).
DIRECT_RE = re.compile(r"~[1-9][0-9]{0,18}-[1-9][0-9]{0,18}(-[1-9][0-9]{0,18})?")
CLIENT_ID_RE = r"^[A-Za-z0-9_.:\-]{1,64}$"
# Invite codes are made by secrets.token_urlsafe (URL-safe base64); the range
# leaves room to make them longer or shorter later without a client change.
INVITE_RE = r"^[A-Za-z0-9_\-]{16,64}$"
MIN_PASSWORD = 8
# Passwords longer than this are refused rather than hashed: a 1 MB password
# would make scrypt a denial-of-service lever.
MAX_PASSWORD = 256
MAX_DEPTH = 16

Model = TypeVar("Model", bound=BaseModel)


class Strict(BaseModel):
    # strict: no silent coercion of 123 to "123"; extra keys are ignored so
    # newer clients can send fields older servers do not know.
    model_config = ConfigDict(strict=True, extra="ignore", str_strip_whitespace=False)


class Credentials(Strict):
    username: str = Field(pattern=USERNAME_RE)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class Registration(Strict):
    username: str = Field(pattern=USERNAME_RE)
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)
    # Needed while REGISTRATION=invite; accepted and ignored (not spent) when open.
    invite: str | None = Field(default=None, pattern=INVITE_RE)


def check_text_hygiene(value: Any, depth: int = 0) -> None:
    """Refuse NUL bytes, lone surrogates and absurd nesting anywhere in `value`."""
    if depth > MAX_DEPTH:
        raise BadRequest("The payload is nested too deeply.")
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequest("Text must not contain NUL characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("Text must be valid Unicode (no lone surrogates).") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text_hygiene(key, depth + 1)
            check_text_hygiene(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_text_hygiene(item, depth + 1)


def describe(error: ValidationError) -> str:
    """One readable sentence for the first problem pydantic found."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "payload"
    if first["type"] == "string_pattern_mismatch" and field == "username":
        return "username: 3 to 32 letters, digits, '_', '.' or '-'."
    if first["type"] == "string_pattern_mismatch" and field == "invite":
        return "invite: 16 to 64 letters, digits, '_' or '-', as the code was given."
    if first["type"] == "string_too_short" and field == "password":
        return f"password: at least {MIN_PASSWORD} characters."
    return f"{field}: {first['msg']}."


def parse(model: type[Model], data: Any, strict: bool = True) -> Model:
    """Validate `data` against `model` or raise BadRequest / ValidationFailed.

    `strict=False` is for query strings, where every value arrives as text.
    """
    if not isinstance(data, dict):
        raise BadRequest("The payload must be a JSON object.")
    check_text_hygiene(data)
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as error:
        raise ValidationFailed(describe(error)) from None


# Bounds keep numbers inside PostgreSQL's INTEGER / BIGINT.
MAX_SEQ = 2**31 - 1
MAX_ID = 2**63 - 1
# C0 controls except tab and newline, DEL, and C1 controls.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class RoomRef(Strict):
    room: str


class JoinOptions(Strict):
    #: Create the room (public, the caller its owner) if no room has the name.
    create: bool = False


class JoinRoom(JoinOptions):
    room: str


#: A room topic: the text rules of a message, at most this long; "" clears it.
MAX_TOPIC = 250
MAX_REASON = 250
Role = Literal["member", "moderator", "owner"]


class CreateRoom(Strict):
    room: str
    private: bool = False
    topic: str | None = None


class UpdateRoom(Strict):
    room: str
    topic: str | None = None
    private: bool | None = None


class MemberRef(Strict):
    """A room and a user in it: invite, kick, ban, unban."""

    room: str
    user: str = Field(pattern=USERNAME_RE)
    reason: str | None = Field(default=None, max_length=MAX_REASON)


class SetRole(Strict):
    room: str
    user: str = Field(pattern=USERNAME_RE)
    role: Role


class UserRef(Strict):
    user: str = Field(pattern=USERNAME_RE)


class ReadMark(Strict):
    room: str
    seq: int = Field(ge=0, le=MAX_SEQ)


class RoomChanges(Strict):
    """The REST form of update_room: the room is in the URL."""

    topic: str | None = None
    private: bool | None = None


class Reason(Strict):
    """The REST body of a kick or a ban (optional): why."""

    reason: str | None = Field(default=None, max_length=MAX_REASON)


class RoleChange(Strict):
    """The REST form of set_role: the room and the user are in the URL."""

    role: Role


class ReadUpTo(Strict):
    """The REST form of read: the room is in the URL."""

    seq: int = Field(ge=0, le=MAX_SEQ)


class SendMessage(Strict):
    room: str
    text: str
    client_id: str | None = Field(default=None, pattern=CLIENT_ID_RE)


class PostMessage(Strict):
    """The REST form of a send: the room is in the URL."""

    text: str
    client_id: str | None = Field(default=None, pattern=CLIENT_ID_RE)


class HistoryQuery(Strict):
    room: str = ""
    before_seq: int | None = Field(default=None, ge=1, le=MAX_SEQ)
    after_seq: int | None = Field(default=None, ge=0, le=MAX_SEQ)
    limit: int = Field(default=50, ge=1, le=100)


def clean_message_text(text: str, max_length: int) -> str:
    """Trimmed message text, or BadRequest / TooLong.

    CRLF becomes LF (terminals and Windows clients send it); any other control
    character is refused, so stored text can never drive a terminal.
    """
    from chatapp.errors import TooLong

    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed("The message is empty.")
    if CONTROL_CHARS.search(text):
        raise ValidationFailed("Control characters other than newline and tab are not allowed.")
    if len(text) > max_length:
        raise TooLong(f"Messages are at most {max_length} characters.")
    return text


class PageQuery(Strict):
    """?before_id=&limit= for message lists that page back in time."""

    before_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    limit: int = Field(default=50, ge=1, le=100)


class RoomsQuery(Strict):
    after: str | None = None
    limit: int = Field(default=50, ge=1, le=100)
