"""Adapters: every AWS call of the service sits in this package."""
