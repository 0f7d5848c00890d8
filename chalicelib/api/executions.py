"""/executions: start (一键启动), watch, list, stop the unattended declaration."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.services import executions

from .errors import json_response
from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/executions", methods=["POST"], limit="executions")
def start(call: Call) -> Response:
    execution = executions.start_execution(call.identity, call.json(), call.ctx.engine)
    return json_response(execution.view(None, call.ctx.clock()), 201)


@endpoint(bp, "/executions")
def list_all(call: Call) -> dict:
    items = executions.list_executions(call.identity, call.ctx.engine)
    return {"items": items, "total": len(items), "next_cursor": None}


@endpoint(bp, "/executions/{execution_id}")
def get_one(call: Call) -> dict:
    return executions.get_execution(call.identity, call.params["execution_id"], call.ctx.engine)


@endpoint(bp, "/executions/{execution_id}/stop", methods=["POST"])
def stop(call: Call) -> dict:
    return executions.stop_execution(call.identity, call.params["execution_id"], call.ctx.engine)
