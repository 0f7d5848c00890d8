"""`smartdecl`: the command line for integrators, on the public HTTP API only (README, /openapi.json)."""
