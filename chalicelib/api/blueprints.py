"""Every blueprint of the API, in registration order: app.py registers them, and importing them
fills routing.ROUTES, from which the OpenAPI document is generated."""

from __future__ import annotations

from . import (
    agent,
    api_docs,
    column_mappings,
    configs,
    console,
    customs,
    declarations,
    enablement,
    events,
    executions,
    parts,
    push,
    reference,
    results,
    subscriptions,
    system,
    tax,
)

BLUEPRINTS = (
    system.bp,
    enablement.bp,
    configs.bp,
    column_mappings.bp,
    parts.bp,
    declarations.bp,
    executions.bp,
    results.bp,
    customs.bp,
    tax.bp,
    subscriptions.bp,
    push.bp,
    events.bp,
    console.bp,
    reference.bp,
    api_docs.bp,
    agent.bp,
)
