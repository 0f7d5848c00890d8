"""Deployment-side helpers: reading template.yaml (infra.template) for the local stack and tests."""
