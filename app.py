"""The HTTP API (Chalice). Routes live in blueprints under chalicelib/api; this file wires them."""
from __future__ import annotations

from chalice import Chalice

from chalicelib.api import configs, console, customs, declarations, enablement, executions, results, subscriptions, system, tax
from chalicelib.api.errors import reshape_chalice_error
from chalicelib.services.import_declarations import XLSX, XML_TYPES

app = Chalice(app_name="smartdecl")
# Uploads travel base64-encoded through API Gateway, so GB2312 XML and xlsx arrive byte-exact.
for media_type in (XLSX, *XML_TYPES):
    if media_type not in app.api.binary_types:
        app.api.binary_types.append(media_type)

for blueprint in (system.bp, enablement.bp, configs.bp, declarations.bp, executions.bp, results.bp, customs.bp,
                  tax.bp, subscriptions.bp, console.bp):
    app.register_blueprint(blueprint)


@app.middleware("http")
def common_error_body(event, get_response):
    # Chalice answers 405/415/… itself; give those the same error body as ours.
    return reshape_chalice_error(get_response(event))
