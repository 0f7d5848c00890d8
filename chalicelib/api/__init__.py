"""HTTP entry points: Chalice blueprints, thin (parse, call one use case, shape the answer)."""
