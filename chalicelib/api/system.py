"""GET /health and GET /openapi.json (no authentication)."""

from __future__ import annotations

from chalice import Blueprint

from .openapi import document
from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/health", auth=False)
def health(call: Call) -> dict:
    return {"status": "ok", "service": "smartdecl"}


@endpoint(bp, "/openapi.json", auth=False)
def openapi(call: Call) -> dict:
    return document()
