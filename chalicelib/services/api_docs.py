"""The API page at /docs: Swagger UI showing this stack's OpenAPI document.

Its files sit in `api_docs/` at the repository root (ours, and Swagger UI vendored from the npm
registry), shipped with the API function as the console's are, and served under the console's
Content-Security-Policy without the identity provider's origin: the page calls only this stack.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.services import console

API_DOCS_DIR = Path(__file__).resolve().parents[2] / "api_docs"


def asset(name: str) -> console.Asset:
    """One of the page's files (one flat folder, as the console's); anything else is not found."""
    return console.asset(name, API_DOCS_DIR)


def content_security_policy() -> str:
    return console.content_security_policy(
        console.SignInSettings(local_mode=False, oidc_domain=None, oidc_client_id=None)
    )
