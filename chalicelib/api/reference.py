"""GET /declaration-fields and GET /code-tables/{name}: what the declaration form is built from.

Any signed-in card of an enabled enterprise (legal or operator): the data is the same for everyone."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.services import reference

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/declaration-fields")
def declaration_fields(call: Call) -> dict:
    return reference.field_catalogue()


@endpoint(bp, "/code-tables/{name}")
def code_table(call: Call) -> dict:
    return reference.code_table(call.params["name"])
