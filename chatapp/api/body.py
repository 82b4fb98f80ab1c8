"""Reading JSON request bodies strictly."""

from __future__ import annotations

import json
from typing import TypeVar

from flask import request
from pydantic import BaseModel

from chatapp.errors import BadRequest, ChatError
from chatapp.schemas import parse

Model = TypeVar("Model", bound=BaseModel)


class UnsupportedMediaType(ChatError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the body as JSON with Content-Type: application/json."


def json_body() -> object:
    """The request body decoded as JSON, or a clean 4xx."""
    if not request.is_json:
        raise UnsupportedMediaType()
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON and bytes that are not UTF-8.
        raise BadRequest("The body is not valid JSON.") from None


def body_as(model: type[Model]) -> Model:
    """The request body validated against `model`."""
    return parse(model, json_body())


def optional_body_as(model: type[Model]) -> Model:
    """Like `body_as`, but an empty body means every field's default."""
    if not request.get_data(cache=True):
        return parse(model, {})
    return body_as(model)


def query_as(model: type[Model]) -> Model:
    """The query string validated against `model` (numbers arrive as text)."""
    args = request.args.to_dict()
    return parse(model, args, strict=False)
