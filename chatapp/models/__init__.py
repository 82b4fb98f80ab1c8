"""The data model: users and login sessions, rooms and memberships, messages."""

from chatapp.models.message import Message
from chatapp.models.outbox import OutboxEvent
from chatapp.models.room import Membership, Room
from chatapp.models.user import AuthSession, User

__all__ = ["AuthSession", "Membership", "Message", "OutboxEvent", "Room", "User"]
