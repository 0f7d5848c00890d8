"""/docs: the API page (Swagger UI over GET /openapi.json), served by the API itself."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.services import api_docs

from .console import static_file_response
from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/docs", auth=False)
def index(call: Call) -> Response:
    path = (call.request.context or {}).get("path") or "/docs"
    if not path.endswith("/"):  # the page's relative links need the trailing slash
        return Response(body="", status_code=302, headers={"Location": path + "/"})
    return static_file_response(call, "index.html", api_docs.asset("index.html"), api_docs.content_security_policy())


@endpoint(bp, "/docs/{name}", auth=False)
def static_file(call: Call) -> Response:
    name = call.params["name"]
    return static_file_response(call, name, api_docs.asset(name), api_docs.content_security_policy())
