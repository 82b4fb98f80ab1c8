"""The logged-in user's messages: the data of #all_messages and #my_messages."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required

from chatapp.api import bp
from chatapp.api.body import query_as
from chatapp.schemas import PageQuery
from chatapp.services import queries, room_views


def _page(reader):
    query = query_as(PageQuery)
    items = reader(current_user, query.before_id, query.limit)
    return jsonify(
        {"messages": items, "next_cursor": queries.next_cursor(items, query.limit, "id")}
    )


@bp.get("/me/messages")
@login_required
def my_sent_messages():
    """Every message I sent, in any room (#all_messages): ?before_id=&limit=."""
    return _page(queries.user_messages)


@bp.get("/me/rooms/messages")
@login_required
def my_rooms_messages():
    """Messages from the rooms I am a member of (#my_messages): ?before_id=&limit=."""
    return _page(queries.member_rooms_messages)


@bp.get("/me/rooms")
@login_required
def my_rooms():
    """The rooms I am a member of, by name: MEMBERSHIP each (role, seq, last_read_seq, unread)."""
    return jsonify({"rooms": room_views.memberships(current_user.id)})
