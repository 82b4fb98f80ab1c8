"""team rooms: private rooms, direct conversations, roles, bans, topics

Adds `rooms.private`, `rooms.kind` ("room" or "direct"), `rooms.topic`,
`memberships.role` ("member", "moderator" or "owner") and the `room_bans`
table. Today's rooms carry over as public rooms whose creator is an owner: the
creator's membership becomes "owner", and a creator who had left the room is
made a member again as its owner (a room whose creator was deleted keeps no
owner; a server admin can name one with `cli.py rooms set-role`). Every
membership starts with the room read up to its newest message. The downgrade
refuses while private rooms or direct conversations exist.

Revision ID: 0005_team_rooms
Revises: 0004_invites
Create Date: 2026-11-30 07:30:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

revision = "0005_team_rooms"
down_revision = "0004_invites"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("kind", sa.String(length=8), nullable=False, server_default="room"))
        batch.add_column(sa.Column("topic", sa.Text(), nullable=True))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), nullable=False, server_default="member"))
    op.create_table(
        "room_bans",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("banned_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["banned_by"], ["users.id"], name=op.f("fk_room_bans_banned_by_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_room_bans_room_id_rooms"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_room_bans_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_room_bans")),
    )
    with op.batch_alter_table("room_bans") as batch:
        batch.create_index(batch.f("ix_room_bans_user_id"), ["user_id"], unique=False)
    make_creators_owners(op.get_bind())
    # Nothing kept read state before: count what exists as read, or every
    # member would start with the room's whole history unread.
    op.execute(
        "UPDATE memberships SET last_read_seq ="
        " (SELECT rooms.last_seq FROM rooms WHERE rooms.id = memberships.room_id)"
    )


def downgrade():
    bind = op.get_bind()
    hidden = bind.execute(
        sa.text("SELECT count(*) FROM rooms WHERE private OR kind <> 'room'")
    ).scalar()
    if hidden:
        # The older schema has no private rooms: they would become public.
        raise RuntimeError(
            f"{hidden} private rooms or direct conversations exist; delete them "
            "(cli.py rooms delete) before downgrading below 0005_team_rooms."
        )
    with op.batch_alter_table("room_bans") as batch:
        batch.drop_index(batch.f("ix_room_bans_user_id"))
    op.drop_table("room_bans")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("role")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("topic")
        batch.drop_column("kind")
        batch.drop_column("private")


def make_creators_owners(bind):
    rooms = sa.table("rooms", sa.column("id", sa.Integer), sa.column("created_by", sa.Integer))
    memberships = sa.table(
        "memberships",
        sa.column("user_id", sa.Integer),
        sa.column("room_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("joined_at", sa.DateTime(timezone=True)),
        sa.column("last_read_seq", sa.Integer),
    )
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # how the app stores UTC on SQLite
    found = bind.execute(
        sa.select(rooms.c.id, rooms.c.created_by).where(rooms.c.created_by.is_not(None))
    ).all()
    members = set(bind.execute(sa.select(memberships.c.room_id, memberships.c.user_id)).all())
    for room_id, creator in found:
        if (room_id, creator) in members:
            bind.execute(
                memberships.update()
                .where(memberships.c.room_id == room_id, memberships.c.user_id == creator)
                .values(role="owner")
            )
        else:
            bind.execute(
                memberships.insert().values(
                    room_id=room_id, user_id=creator, role="owner", joined_at=now, last_read_seq=0
                )
            )
