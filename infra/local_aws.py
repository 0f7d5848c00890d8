"""Local AWS: moto's server, and the resources of template.yaml created in it.

Used by `make run` (infra/local_stack.py) and by the test fixtures, so both build exactly what
the template declares: same names, keys and indexes.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Any

import boto3

from infra import template as cfn

LOCAL_REGION = "cn-north-1"
LOCAL_STACK = "smartdecl"  # table names become "smartdecl-declarations" …, the Settings defaults


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_credentials() -> None:
    """Fake credentials and the local region, so no call can reach a real account."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing"}.items():
        os.environ[key] = value
    os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])


def start_moto(port: int | None = None) -> tuple[Any, str]:
    """Start moto's threaded server on loopback; point every boto3/PynamoDB client at it."""
    from moto.server import ThreadedMotoServer

    for name in ("werkzeug", "moto", "botocore"):  # moto's server logs every request otherwise
        logging.getLogger(name).setLevel(logging.ERROR)
    local_credentials()
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    return server, endpoint


def reset_moto(endpoint: str) -> None:
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()


def provision(stack_name: str = LOCAL_STACK, region: str | None = None, template: dict | None = None) -> dict[str, list[str]]:
    """Create every table of template.yaml (with TTL) in the current endpoint."""
    template = template or cfn.load()
    dynamodb = boto3.client("dynamodb", region_name=region or os.environ.get("AWS_DEFAULT_REGION", LOCAL_REGION))
    created = []
    for kwargs in cfn.tables(template, stack_name):
        dynamodb.create_table(**kwargs)
        created.append(kwargs["TableName"])
    for table, attribute in cfn.ttl_settings(template, stack_name).items():
        dynamodb.update_time_to_live(TableName=table,
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})
    return {"tables": created}
