"""/events: the pull feed — the enterprise's events after a cursor, for integrators without webhooks."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.services.event_feed import read_events

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/events")
def feed(call: Call) -> dict:
    return read_events(call.identity, call.query, call.ctx.event_feed, call.ctx.clock)
