"""/configs: create, query, change, delete configs (预配置). Writes need the legal-person card."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.services import configs

from .errors import json_response
from .routing import Call, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/configs")
def list_configs(call: Call) -> dict:
    items = [c.as_json() for c in configs.list_configs(call.identity, call.ctx.configs)]
    return {"items": items, "total": len(items), "next_cursor": None}


@endpoint(bp, "/configs", methods=["POST"])
def create_config(call: Call) -> Response:
    config = configs.create_config(call.identity, call.json(), call.ctx.configs, call.ctx.clock)
    return json_response(config.as_json(), 201)


@endpoint(bp, "/configs/{config_id}")
def get_config(call: Call) -> dict:
    return configs.get_config(call.identity, call.params["config_id"], call.ctx.configs).as_json()


@endpoint(bp, "/configs/{config_id}", methods=["PUT"])
def update_config(call: Call) -> dict:
    return configs.update_config(
        call.identity, call.params["config_id"], call.json(), call.ctx.configs, call.ctx.clock
    ).as_json()


@endpoint(bp, "/configs/{config_id}", methods=["PATCH"])
def patch_config(call: Call) -> dict:
    return configs.patch_config(
        call.identity, call.params["config_id"], call.json(), call.ctx.configs, call.ctx.clock
    ).as_json()


@endpoint(bp, "/configs/{config_id}", methods=["DELETE"])
def delete_config(call: Call) -> Response:
    configs.delete_config(call.identity, call.params["config_id"], call.ctx.configs)
    return Response(body="", status_code=204)
