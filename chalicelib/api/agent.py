"""The exchange channel's routes (docs/customs-channel.md): the agent's (/agent/…, an agent
credential only) and a person's (agent credentials, the channel's state, 报文客户端状态)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.observability import count_now
from chalicelib.services import exchange, exchange_channel, exchange_credentials, exchange_inbox
from chalicelib.services.receipts import RECEIPT_CONFLICTS

from .errors import json_response
from .routing import Call, endpoint

bp = Blueprint(__name__)
FILE_TYPES = ["application/octet-stream"]
_ITEM = "/agent/outbox/{client_seq_no}/{send_no}"


# ---- the agent's ---------------------------------------------------------------------------


@endpoint(bp, "/agent/outbox", agent=True)
def take(call: Call) -> dict:
    return exchange.take(call.ctx.exchange, call.identity, call.query.get("max"))


@endpoint(bp, f"{_ITEM}/written", methods=["POST"], agent=True)
def written(call: Call) -> dict:
    send_no = exchange.send_number(call.params["send_no"])
    return exchange.acknowledge(call.ctx.exchange, call.identity, call.params["client_seq_no"], send_no, call.json())


@endpoint(bp, f"{_ITEM}/events", methods=["POST"], agent=True)
def events(call: Call) -> dict:
    send_no = exchange.send_number(call.params["send_no"])
    return exchange.report(call.ctx.exchange, call.identity, call.params["client_seq_no"], send_no, call.json())


@endpoint(bp, "/agent/inbox", methods=["POST"], agent=True, content_types=FILE_TYPES)
def inbox(call: Call) -> dict:
    headers = call.request.headers
    result = exchange_inbox.apply_inbox_file(
        call.ctx.exchange,
        call.identity,
        headers.get("x-smartdecl-file-name"),
        headers.get("x-smartdecl-file-sha256"),
        call.raw(call.ctx.settings.max_import_body),
    )
    if result["outcome"] == "conflict":  # the ReceiptConflictAlarm watches this count, as for /customs/receipts
        count_now(RECEIPT_CONFLICTS, 1)
    return result


@endpoint(bp, "/agent/heartbeat", methods=["POST"], agent=True)
def heartbeat(call: Call) -> dict:
    return exchange_channel.heartbeat(call.ctx.exchange, call.identity, call.json())


# ---- a person's ----------------------------------------------------------------------------


@endpoint(bp, "/agent-credentials", methods=["POST"])
def create_credential(call: Call) -> Response:
    ctx = call.ctx
    body = exchange_credentials.create_credential(call.identity, call.json(), ctx.agent_credentials, ctx.clock)
    return json_response(body, 201)


@endpoint(bp, "/agent-credentials")
def list_credentials(call: Call) -> dict:
    items = exchange_credentials.list_credentials(call.identity, call.ctx.agent_credentials)
    return {"items": items, "total": len(items), "next_cursor": None}


@endpoint(bp, "/agent-credentials/{credential_id}", methods=["DELETE"])
def revoke_credential(call: Call) -> Response:
    ctx = call.ctx
    exchange_credentials.revoke_credential(
        call.identity, call.params["credential_id"], ctx.agent_credentials, ctx.agent_keys, ctx.clock
    )
    return Response(body="", status_code=204)


@endpoint(bp, "/customs/channel")
def channel(call: Call) -> dict:
    return exchange_channel.channel_status(call.ctx.exchange, call.identity)
