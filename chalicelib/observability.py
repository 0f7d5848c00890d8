"""Logger, Tracer and Metrics for the whole service (never imported by the domain)."""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="smartdecl")
tracer = Tracer(service="smartdecl")
metrics = Metrics(namespace="SmartDeclaration", service="smartdecl")
