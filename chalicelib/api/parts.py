"""/parts: the parts library (归类). Any card reads and proposes; the legal-person card approves or
refuses a proposal. Imports fill goods from the approved parts (api/declarations.py)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.services import parts

from .errors import json_response
from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/parts")
def list_parts(call: Call) -> dict:
    items, cursor = parts.list_parts(call.identity, call.ctx.parts, call.query.get("status"), call.query.get("after"))
    return {"items": [p.as_json() for p in items], "next_cursor": cursor}


@endpoint(bp, "/parts", methods=["POST"])
def propose_part(call: Call) -> Response:
    return json_response(parts.propose_part(call.identity, call.json(), call.ctx.parts, call.ctx.clock).as_json(), 201)


@endpoint(bp, "/parts/{part_no}")
def get_part(call: Call) -> dict:
    return parts.get_part(call.identity, call.params["part_no"], call.ctx.parts).as_json()


@endpoint(bp, "/parts/{part_no}/propose", methods=["POST"])
def propose_from_declarations(call: Call) -> Response:
    part = parts.propose_from_declarations(
        call.identity, call.params["part_no"], call.ctx.parts, call.ctx.declarations, call.ctx.clock
    )
    return json_response(part.as_json(), 201)


@endpoint(bp, "/parts/{part_no}/approve", methods=["POST"])
def approve(call: Call) -> dict:
    return _decide(call, True)


@endpoint(bp, "/parts/{part_no}/refuse", methods=["POST"])
def refuse(call: Call) -> dict:
    return _decide(call, False)


def _decide(call: Call, approve: bool) -> dict:
    body = call.json() if call.request.raw_body else {}
    return parts.decide_part(
        call.identity, call.params["part_no"], approve, body, call.ctx.parts, call.ctx.clock
    ).as_json()
