"""AWS clients for the adapters, all made from one botocore session per process.

boto3 adds resources and S3 transfers on top of botocore and loads them at import (about a third
of `import boto3`); our adapters only use clients, so the functions' cold start leaves them out.
The client is botocore's own, the same object `boto3.client` returns. PynamoDB's connection uses
the same session (dynamo_models.connection): a second session would load botocore's data again,
about 55 ms of a function's first message."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import botocore.session

# botocore does not support building clients from one session on several threads at once
_building = threading.Lock()


@cache
def session() -> botocore.session.Session:
    return botocore.session.get_session()


@contextmanager
def building() -> Iterator[botocore.session.Session]:
    """The session, held while a client is built from it."""
    with _building:
        yield session()


def client(service: str, region: str) -> Any:
    with building() as s:
        return s.create_client(service, region_name=region)
