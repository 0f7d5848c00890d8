"""AWS clients for the adapters, made from botocore's session.

boto3 adds resources and S3 transfers on top of botocore and loads them at import (about a third
of `import boto3`); our adapters only use clients, so the functions' cold start leaves them out.
The client is botocore's own, the same object `boto3.client` returns."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def client(service: str, region: str) -> Any:
    return _session().create_client(service, region_name=region)
