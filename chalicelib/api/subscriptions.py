"""/subscriptions: push to e-mail, SMS or a signed webhook; the delivery log and replay."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.services import subscriptions

from .errors import json_response
from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/subscriptions", methods=["POST"])
def create(call: Call) -> Response:
    ctx = call.ctx
    body = subscriptions.create_subscription(
        call.identity,
        call.json(),
        ctx.subscriptions,
        ctx.subscriber,
        ctx.clock,
        local_mode=ctx.settings.local_mode,
        loopback=ctx.settings.loopback_ports,
    )
    return json_response(body, 201)


@endpoint(bp, "/subscriptions")
def list_all(call: Call) -> dict:
    items = subscriptions.list_subscriptions(call.identity, call.ctx.subscriptions)
    return {"items": items, "total": len(items), "next_cursor": None}


@endpoint(bp, "/subscriptions/{subscription_id}")
def get_one(call: Call) -> dict:
    return subscriptions.get_subscription(
        call.identity, call.params["subscription_id"], call.ctx.subscriptions
    ).as_json()


@endpoint(bp, "/subscriptions/{subscription_id}", methods=["DELETE"])
def delete(call: Call) -> Response:
    subscriptions.delete_subscription(
        call.identity, call.params["subscription_id"], call.ctx.subscriptions, call.ctx.subscriber
    )
    return Response(body="", status_code=204)


@endpoint(bp, "/subscriptions/{subscription_id}/deliveries")
def deliveries(call: Call) -> dict:
    items = subscriptions.deliveries(
        call.identity, call.params["subscription_id"], call.query, call.ctx.subscriptions, call.ctx.deliveries
    )
    return {"items": items, "total": len(items), "next_cursor": None}


@endpoint(bp, "/subscriptions/{subscription_id}/replay", methods=["POST"], limit="replays")
def replay(call: Call) -> dict:
    return subscriptions.replay(
        call.identity,
        call.params["subscription_id"],
        call.json(),
        call.ctx.subscriptions,
        call.ctx.deliveries,
        call.ctx.send_delivery,
    )
