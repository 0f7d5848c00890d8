"""Logger, Tracer and Metrics for the whole service (never imported by the domain).

The tracer is built only when tracing is on (template parameter `Tracing`, which sets
POWERTOOLS_TRACE_DISABLED): Powertools' `Tracer()` imports the X-Ray SDK even when disabled,
and that import alone was a quarter of every function's cold start (bench/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="smartdecl")
metrics = Metrics(namespace="SmartDeclaration", service="smartdecl")


def count_now(name: str, value: int = 1) -> None:
    """One count metric, written at once (EMF on the log) with the service dimension the functions'
    metrics carry: for code outside a `log_metrics` handler, such as the API. Alarms watch these."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value, default_dimensions={"service": "smartdecl"}):
        pass


def tracing_enabled(env: dict[str, str] | None = None) -> bool:
    value = (env if env is not None else os.environ).get("POWERTOOLS_TRACE_DISABLED", "false")
    return value.strip().lower() not in ("1", "true", "yes", "on")


class _NoTracer:
    """What the handlers use of Powertools' Tracer, doing nothing (tracing off)."""

    def capture_lambda_handler(self, handler: Callable | None = None, **_: Any) -> Callable:
        return handler if handler is not None else (lambda f: f)

    def capture_method(self, method: Callable | None = None, **_: Any) -> Callable:
        return method if method is not None else (lambda f: f)

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        pass


def _tracer() -> Any:
    if not tracing_enabled():
        return _NoTracer()
    from aws_lambda_powertools import Tracer  # loads aws_xray_sdk: only when it will be used

    return Tracer(service="smartdecl")


tracer = _tracer()
