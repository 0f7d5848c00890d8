"""/column-mappings: an enterprise's column mappings (how a customer's goods list is read). Both cards
read them; writes need the legal-person card. POST /declarations/import?mapping=<id> uses one."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.services import column_mappings

from .errors import json_response
from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/column-mappings")
def list_mappings(call: Call) -> dict:
    items = [m.as_json() for m in column_mappings.list_mappings(call.identity, call.ctx.column_mappings)]
    return {"items": items, "total": len(items), "next_cursor": None}


@endpoint(bp, "/column-mappings", methods=["POST"])
def create_mapping(call: Call) -> Response:
    mapping = column_mappings.create_mapping(call.identity, call.json(), call.ctx.column_mappings, call.ctx.clock)
    return json_response(mapping.as_json(), 201)


@endpoint(bp, "/column-mappings/{mapping_id}")
def get_mapping(call: Call) -> dict:
    return column_mappings.get_mapping(call.identity, call.params["mapping_id"], call.ctx.column_mappings).as_json()


@endpoint(bp, "/column-mappings/{mapping_id}", methods=["PUT"])
def update_mapping(call: Call) -> dict:
    return column_mappings.update_mapping(
        call.identity, call.params["mapping_id"], call.json(), call.ctx.column_mappings, call.ctx.clock
    ).as_json()


@endpoint(bp, "/column-mappings/{mapping_id}", methods=["DELETE"])
def delete_mapping(call: Call) -> Response:
    column_mappings.delete_mapping(call.identity, call.params["mapping_id"], call.ctx.column_mappings)
    return Response(body="", status_code=204)
