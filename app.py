"""The HTTP API (Chalice). Routes live in blueprints under chalicelib/api; this file wires them."""

from __future__ import annotations

import os

from chalice import Chalice

from chalicelib.api.blueprints import BLUEPRINTS
from chalicelib.api.errors import internal_error, reshape_chalice_error, secured
from chalicelib.api.routing import auth_before_media_type
from chalicelib.config import Settings
from chalicelib.container import container
from chalicelib.formats.records import XLSX, XML_TYPES
from chalicelib.observability import logger

# Fail fast (issue #9): a missing or short secret stops the cold start with a message naming the
# variable, instead of answering every request 500 later.
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    container().check_api_secrets()  # also fetches and checks the SSM-held secrets
else:
    Settings.from_env()  # tests and tools: lengths only; `make run` checks presence itself

app = Chalice(app_name="smartdecl")
# Uploads travel base64-encoded through API Gateway, so GB2312 XML and xlsx arrive byte-exact.
for media_type in (XLSX, *XML_TYPES):
    if media_type not in app.api.binary_types:
        app.api.binary_types.append(media_type)

for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint)


@app.middleware("http")
def common_error_body(event, get_response):
    # Chalice answers 405/415/… itself; give those the same error body as ours. Anything that
    # escapes the routes' own guard still gets our 500 body with a correlation id, never Chalice's.
    try:
        answer = auth_before_media_type(event, get_response(event))
        return secured(reshape_chalice_error(answer))  # every answer: docs/security.md
    except Exception:  # noqa: BLE001 - the last guard: internal_error logs the trace, the caller gets an id
        return internal_error(logger, event.context.get("requestId") if isinstance(event.context, dict) else None)
