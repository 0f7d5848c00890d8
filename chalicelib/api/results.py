"""/pool (the declarations the ticked configs take), /executions/{id}/batches (its batch history),
/batches/{batch_no} (the console) and /declarations/continue."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.services import results

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/pool")
def pool(call: Call) -> dict:
    return results.pool(call.identity, call.query, call.ctx.engine)


@endpoint(bp, "/executions/{execution_id}/batches")
def batches(call: Call) -> dict:
    items = results.execution_batches(call.identity, call.params["execution_id"], call.ctx.engine)
    return {"items": items, "total": len(items), "next_cursor": None}


@endpoint(bp, "/batches/{batch_no}")
def console(call: Call) -> dict:
    return results.batch_console(call.identity, call.params["batch_no"], call.ctx.engine)


@endpoint(bp, "/declarations/continue", methods=["POST"])
def continue_declarations(call: Call) -> dict:
    return results.continue_declarations(call.identity, call.json(), call.ctx.engine)
