"""GET /s/{code}: the short link of an SMS, redirected to the declaration in the console.

No token: a phone opens it; the console asks for the login itself. The code is the seq_no packed
reversibly (domain/messages.short_code), so nothing is stored and nothing is revealed."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain import errors
from chalicelib.domain.messages import console_link, seq_no_of

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/s/{code}", auth=False)
def short_link(call: Call) -> Response:
    seq_no = seq_no_of(call.params["code"])
    target = console_link(call.ctx.settings.console_url, seq_no) if seq_no else None
    if target is None:
        raise errors.not_found("链接", "link", call.params["code"])
    return Response(body="", status_code=302, headers={"Location": target, "Cache-Control": "no-store"})
