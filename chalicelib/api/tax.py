"""Tax confirmation (税费确认查询): the list, the computed detail, and the confirmation."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.services import tax

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/tax-confirmations")
def unconfirmed(call: Call) -> dict:
    page = tax.list_unconfirmed(call.identity, call.query, call.ctx.engine)
    return {"items": [d.as_json() for d in page.items], "total": page.total, "next_cursor": page.next_cursor}


@endpoint(bp, "/declarations/{seq_no}/tax")
def detail(call: Call) -> dict:
    return tax.tax_detail(call.identity, call.params["seq_no"], call.ctx.engine)


@endpoint(bp, "/declarations/{seq_no}/tax/confirm", methods=["POST"])
def confirm(call: Call) -> dict:
    return tax.confirm_tax(call.identity, call.params["seq_no"], call.ctx.engine)
