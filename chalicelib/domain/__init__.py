"""Business rules as plain Python: no AWS, no frameworks (pydantic is used for value models)."""
