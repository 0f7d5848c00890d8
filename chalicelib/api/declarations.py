"""/declarations: import (JSON, Excel, XML), query, read, replace, delete, mark and unmark."""

from __future__ import annotations

import hashlib

from chalice import Blueprint, Response

from chalicelib.domain import errors
from chalicelib.domain.errors import FieldError
from chalicelib.services import column_mappings, declarations, manual_declare, marking
from chalicelib.services.import_declarations import (
    XLSX,
    XML_TYPES,
    import_declarations,
    records_from_file,
    records_from_json,
)

from .routing import JSON, Call, endpoint

bp = Blueprint(__name__)
UPLOAD_TYPES = [XLSX, *XML_TYPES, "application/octet-stream"]


def _import(call: Call, read) -> dict:
    """Run one import once per (tenant, Idempotency-Key): a retried upload creates nothing new."""
    ctx, raw = call.ctx, call.raw(call.ctx.settings.max_import_body)
    fingerprint = hashlib.sha256(
        call.request.path.encode() + b"\0" + str(sorted(call.query.items())).encode() + b"\0" + raw
    ).hexdigest()

    def once() -> dict:
        records, smart_mark = read(raw)
        return import_declarations(
            call.identity, records, smart_mark, ctx.declarations, ctx.seq_nos, ctx.clock, ctx.engine, ctx.parts
        ).as_json()

    return ctx.idempotency.run(
        call.identity.ent_code, call.request.headers.get("idempotency-key"), fingerprint, once, call.lambda_context
    )


@endpoint(bp, "/declarations", methods=["POST"], limit="imports")
def import_json(call: Call) -> dict:
    return _import(call, lambda raw: records_from_json(call.json(), call.ctx.settings.max_import_records))


@endpoint(bp, "/declarations/import", methods=["POST"], content_types=UPLOAD_TYPES, limit="imports")
def import_file(call: Call) -> dict:
    smart_mark = _flag(call.query.get("smart_mark", "false"))
    content_type = call.request.headers.get("content-type", "")
    mapping_id = call.query.get("mapping")

    def read(raw: bytes):
        # a goods list in a customer's layout, read through one of the enterprise's column mappings
        mapping = (
            column_mappings.get_mapping(call.identity, mapping_id, call.ctx.column_mappings).content
            if mapping_id is not None
            else None
        )
        return records_from_file(content_type, raw, call.ctx.settings.max_import_records, mapping), smart_mark

    return _import(call, read)


@endpoint(bp, "/declarations")
def query(call: Call) -> dict:
    page = declarations.query_declarations(call.identity, call.query, call.ctx.declarations, call.ctx.clock)
    return {"items": [d.as_json() for d in page.items], "total": page.total, "next_cursor": page.next_cursor}


@endpoint(bp, "/declarations/{seq_no}")
def get_one(call: Call) -> dict:
    return declarations.get_declaration(call.identity, call.params["seq_no"], call.ctx.declarations).as_json()


@endpoint(bp, "/declarations/{seq_no}", methods=["PUT"])
def replace(call: Call) -> dict:
    return declarations.replace_declaration(
        call.identity, call.params["seq_no"], call.json(), call.ctx.declarations, call.ctx.clock
    ).as_json()


@endpoint(bp, "/declarations/{seq_no}", methods=["DELETE"])
def delete(call: Call) -> Response:
    declarations.delete_declaration(call.identity, call.params["seq_no"], call.ctx.declarations)
    return Response(body="", status_code=204)


@endpoint(bp, "/declarations/mark", methods=["POST"], content_types=[JSON])
def mark(call: Call) -> dict:
    return marking.mark(call.identity, call.json(), call.ctx.declarations, call.ctx.clock, call.ctx.engine)


@endpoint(bp, "/declarations/unmark", methods=["POST"], content_types=[JSON])
def unmark(call: Call) -> dict:
    return marking.unmark(call.identity, call.json(), call.ctx.declarations, call.ctx.clock)


def _flag(value: str) -> bool:
    if value not in ("true", "false"):
        raise errors.invalid_request(
            [FieldError("smart_mark", "smart_mark 须为 true 或 false", "smart_mark must be true or false")]
        )
    return value == "true"


@endpoint(bp, "/declarations/{seq_no}/declare", methods=["POST"])
def declare_by_hand(call: Call) -> dict:
    return manual_declare.declare_by_hand(call.identity, call.params["seq_no"], call.ctx.engine, call.ctx.customs)


@endpoint(bp, "/declarations/{seq_no}/advisories/confirm", methods=["POST"])
def confirm_advisories(call: Call) -> dict:
    return manual_declare.confirm_advisories(call.identity, call.params["seq_no"], call.ctx.engine)


@endpoint(bp, "/declarations/{seq_no}/log")
def log(call: Call) -> dict:
    items = manual_declare.declaration_log(call.identity, call.params["seq_no"], call.ctx.engine)
    return {"items": items, "total": len(items), "next_cursor": None}
