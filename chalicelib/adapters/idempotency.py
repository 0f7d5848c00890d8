"""Idempotent imports: Powertools idempotency on DynamoDB, keyed by tenant + Idempotency-Key.

The same key with the same body within the TTL returns the first answer; with another body
Powertools raises IdempotencyValidationError, which becomes 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from chalicelib.domain import errors


class IdempotentRunner:
    def __init__(self, table_name: str, ttl_seconds: int, boto3_client: Any = None) -> None:
        # Built lazily by the caller, after the endpoint (moto locally) is known: Powertools makes
        # its DynamoDB client when the persistence layer is created.
        self._store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=boto3_client)
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="fingerprint",
            expires_after_seconds=ttl_seconds,
            raise_on_no_idempotency_key=True,
        )

    def run(
        self, scope: str, key: str | None, fingerprint: str, fn: Callable[[], dict], lambda_context: Any = None
    ) -> dict:
        if not key:
            return fn()
        if lambda_context is not None:
            self._config.register_lambda_context(lambda_context)

        @idempotent_function(data_keyword_argument="request", config=self._config, persistence_store=self._store)
        def import_request(request: dict) -> dict:
            return fn()

        try:
            return import_request(request={"key": f"{scope}:{key}", "fingerprint": fingerprint})
        except IdempotencyValidationError as exc:
            raise errors.idempotency_key_reused() from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise errors.idempotency_in_progress() from exc
