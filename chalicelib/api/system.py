"""GET /health and GET /openapi.json (no authentication)."""

from __future__ import annotations

from chalice import Blueprint

from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/health", auth=False)
def health(call: Call) -> dict:
    return {"status": "ok", "service": "smartdecl"}


@endpoint(bp, "/openapi.json", auth=False)
def openapi(call: Call) -> dict:
    # The answer models (models.py) serve this document only: built at its first request, not at
    # every cold start of the API (about 25 ms of its import).
    from .openapi import document

    return document()
