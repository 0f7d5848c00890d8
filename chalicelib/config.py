"""Settings: one validated model built from the environment at cold start, then passed inward."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field

DEV_JWT_SECRET = "smartdecl-local-development-secret-change-me"  # noqa: S105 - local only, printed at start


class Tables(BaseModel):
    declarations: str = "smartdecl-declarations"
    configs: str = "smartdecl-configs"
    enterprises: str = "smartdecl-enterprises"
    counters: str = "smartdecl-counters"
    idempotency: str = "smartdecl-idempotency"
    executions: str = "smartdecl-executions"
    batches: str = "smartdecl-batches"
    declaration_log: str = "smartdecl-declaration_log"
    receipts: str = "smartdecl-receipts"
    subscriptions: str = "smartdecl-subscriptions"
    deliveries: str = "smartdecl-deliveries"
    events: str = "smartdecl-events"  # the pull feed (GET /events)


class Queues(BaseModel):
    batch_trigger: str = ""
    validation: str = ""
    submission: str = ""
    notifications: str = ""
    webhook: str = ""


class Settings(BaseModel):
    region: str = "cn-north-1"
    tables: Tables = Field(default_factory=Tables)
    auth_mode: Literal["hs256", "jwks"] = "hs256"
    jwt_secret: str | None = None
    jwt_secret_parameter: str | None = None  # deployed hs256: an SSM SecureString name
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    max_json_body: int = 1_048_576
    max_import_body: int = 5_242_880  # below API Gateway's 10 MB and Lambda's 6 MB payload
    max_import_records: int = 500
    idempotency_ttl_seconds: int = 86_400
    queues: Queues = Field(default_factory=Queues)
    batch_size: int = 100
    customs_endpoint: str | None = None
    customs_timeout_seconds: float = 5.0
    customs_retries: int = 3
    customs_backoff_seconds: float = 0.5
    receipt_secret: str | None = None  # HMAC key of incoming customs receipts (local, tests)
    receipt_secret_parameter: str | None = None  # deployed: an SSM SecureString name
    events_topic_arn: str | None = None  # SNS topic every event is published to
    local_mode: bool = False  # webhooks may then target http://127.0.0.1
    subscription_cache_seconds: float = 30.0  # the notify function's view of subscriptions may lag this much
    receipt_watchdog_hours: float = 24.0  # declared, and no customs receipt after this long: flagged

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        prefix = env.get("SMARTDECL_TABLE_PREFIX", "smartdecl")
        tables = Tables(**{name: env.get(f"SMARTDECL_{name.upper()}_TABLE", f"{prefix}-{name}")
                           for name in Tables.model_fields})
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "cn-north-1",
            tables=tables,
            auth_mode=env.get("SMARTDECL_AUTH_MODE", "hs256"),
            jwt_secret=env.get("SMARTDECL_JWT_SECRET") or None,
            jwt_secret_parameter=env.get("SMARTDECL_JWT_SECRET_PARAMETER") or None,
            jwks_url=env.get("SMARTDECL_JWKS_URL") or None,
            jwt_issuer=env.get("SMARTDECL_JWT_ISSUER") or None,
            jwt_audience=env.get("SMARTDECL_JWT_AUDIENCE") or None,
            queues=Queues(**{name: env.get(f"SMARTDECL_{name.upper()}_QUEUE_URL", "") for name in Queues.model_fields}),
            batch_size=int(env.get("SMARTDECL_BATCH_SIZE", "100")),
            customs_endpoint=env.get("SMARTDECL_CUSTOMS_ENDPOINT") or None,
            receipt_secret=env.get("SMARTDECL_RECEIPT_SECRET") or None,
            receipt_secret_parameter=env.get("SMARTDECL_RECEIPT_SECRET_PARAMETER") or None,
            events_topic_arn=env.get("SMARTDECL_EVENTS_TOPIC_ARN") or None,
            local_mode=env.get("SMARTDECL_LOCAL_MODE", "").lower() in ("1", "true", "yes"),
            receipt_watchdog_hours=float(env.get("SMARTDECL_RECEIPT_WATCHDOG_HOURS", "24")),
            subscription_cache_seconds=float(env.get("SMARTDECL_SUBSCRIPTION_CACHE_SECONDS", "30")),
            customs_timeout_seconds=float(env.get("SMARTDECL_CUSTOMS_TIMEOUT_SECONDS", "5")),
            customs_retries=int(env.get("SMARTDECL_CUSTOMS_RETRIES", "3")),
            customs_backoff_seconds=float(env.get("SMARTDECL_CUSTOMS_BACKOFF_SECONDS", "0.5")),
        )
