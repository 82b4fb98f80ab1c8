"""Rooms and their messages over REST: the same rules as the socket protocol."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required

from chatapp.api import bp
from chatapp.api.body import body_as, optional_body_as, query_as
from chatapp.schemas import HistoryQuery, JoinOptions, PostMessage, RoomsQuery
from chatapp.services import messages, queries, room_views, rooms


@bp.get("/rooms")
@login_required
def list_rooms():
    """Rooms by name with online counts: ?limit=&after=<name>."""
    query = query_as(RoomsQuery)
    after = rooms.normalize_room_name(query.after) if query.after else None
    items = room_views.visible_rooms(current_user, after, query.limit)
    cursor = items[-1]["name"] if len(items) == query.limit else None
    return jsonify({"rooms": items, "next_cursor": cursor})


@bp.post("/rooms/<room>/join")
@login_required
def join_room(room: str):
    """Become a member of a room, as a script would; body {"create": true} creates a missing one."""
    data = optional_body_as(JoinOptions)
    found = rooms.join_room(current_user, room, create=data.create).room
    return jsonify({"room": found.name, "seq": found.last_seq})


@bp.get("/rooms/<room>/messages")
@login_required
def room_messages(room: str):
    """A page of a room's messages, oldest first: ?before_seq=|after_seq=&limit=."""
    query = query_as(HistoryQuery).model_copy(update={"room": room})
    return jsonify(queries.history_page(current_user, query))


@bp.post("/rooms/<room>/messages")
@login_required
def post_message(room: str):
    """Send over HTTP: 201 with the message; 200 with the original on a repeated client_id,
    or with {"command", "result"} for a #command (as over a socket)."""
    data = body_as(PostMessage)
    answer, created = messages.post_text(current_user, room, data.text, data.client_id)
    return jsonify(answer), 201 if created else 200
