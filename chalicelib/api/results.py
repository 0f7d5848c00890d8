"""/batches/{batch_no} (the console) and /declarations/continue."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.services import results

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/batches/{batch_no}")
def console(call: Call) -> dict:
    return results.batch_console(call.identity, call.params["batch_no"], call.ctx.engine)


@endpoint(bp, "/declarations/continue", methods=["POST"])
def continue_declarations(call: Call) -> dict:
    return results.continue_declarations(call.identity, call.json(), call.ctx.engine)
