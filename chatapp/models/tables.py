"""The models' tables as Core sees them, for statements built once without the ORM.

A select of ORM attributes pays for the ORM's compile state and row loading
even when it only names columns; the hot statements (a send's batch, a
connect's login and greeting) use these tables instead. mypy types a mapped
class's __table__ as any FromClause; a declarative model's is a Table.
"""

from typing import cast

from sqlalchemy import Table

from chatapp.models.message import Message
from chatapp.models.outbox import OutboxEvent
from chatapp.models.room import Membership, Room
from chatapp.models.user import AuthSession, User

AUTH_SESSIONS = cast(Table, AuthSession.__table__)
MEMBERSHIPS = cast(Table, Membership.__table__)
MESSAGES = cast(Table, Message.__table__)
OUTBOX = cast(Table, OutboxEvent.__table__)
ROOMS = cast(Table, Room.__table__)
USERS = cast(Table, User.__table__)
