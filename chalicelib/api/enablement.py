"""GET|POST /enablement: the user notice and its acceptance (启用)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.services import enablement

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/enablement", enabled=False)
def get_enablement(call: Call) -> dict:
    return enablement.get_enablement(call.identity, call.ctx.enterprises)


@endpoint(bp, "/enablement", methods=["POST"], enabled=False)
def accept_notice(call: Call) -> dict:
    accept = call.json_object({"accept_notice"}).get("accept_notice")
    return enablement.accept_notice(call.identity, accept, call.ctx.enterprises, call.ctx.clock)
