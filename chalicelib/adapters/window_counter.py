"""DynamoWindowCounter: the rate limits' counters, one item per enterprise, action and window."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.services.ports import WindowCounter

from .conditions import condition_failed


class DynamoWindowCounter(WindowCounter):
    """One conditional UpdateItem per request: the count goes up only while below the limit, so
    concurrent requests can never count past it. Items expire by TTL (`expires_at`)."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    def take(self, key: str, limit: int, expires_at: int) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"window_key": {"S": key}},
                UpdateExpression="ADD #n :one SET expires_at = if_not_exists(expires_at, :exp)",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "requests"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":exp": {"N": str(expires_at)},
                },
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
