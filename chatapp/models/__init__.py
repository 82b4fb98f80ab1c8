"""The data model: users and login sessions, invites, rooms and memberships, messages."""

from chatapp.models.dead_letter import DeadLetter
from chatapp.models.invite import Invite
from chatapp.models.message import Message
from chatapp.models.outbox import OutboxEvent
from chatapp.models.room import Membership, Room, RoomBan
from chatapp.models.user import AuthSession, User

__all__ = [
    "AuthSession",
    "DeadLetter",
    "Invite",
    "Membership",
    "Message",
    "OutboxEvent",
    "Room",
    "RoomBan",
    "User",
]
