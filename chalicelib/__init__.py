"""Smart assisted declaration service: domain, use cases, adapters and API blueprints."""
