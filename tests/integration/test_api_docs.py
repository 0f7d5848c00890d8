"""/docs: the API page (Swagger UI over this stack's OpenAPI document), through the Chalice app."""

from __future__ import annotations

import pytest

from chalicelib.services.api_docs import API_DOCS_DIR


def fetch(api, path, **headers):
    return api.client.http.get(path, headers=headers)


def test_api_page_is_served_without_a_token_under_the_consoles_strict_policy(api):
    response = fetch(api, "/docs/")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "connect-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert b'<script src="swagger-ui-bundle.js"></script>' in response.body
    assert b"<script>" not in response.body and b"style=" not in response.body  # nothing inline


def test_api_page_without_trailing_slash_redirects_so_relative_links_resolve(api):
    response = fetch(api, "/docs")

    assert response.status_code == 302 and response.headers["Location"] == "/docs/"


@pytest.mark.parametrize(
    "name,content_type",
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("init.js", "text/javascript; charset=utf-8"),
    ],
)
def test_api_page_files_carry_their_content_type_and_a_short_cache(api, name, content_type):
    response = fetch(api, f"/docs/{name}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "ETag" in response.headers


@pytest.mark.parametrize("name", ["README.md", "LICENSE", "..%2Fapp.py", "app.js", "missing.js"])
def test_anything_but_the_pages_own_files_is_not_found(api, name):
    response = fetch(api, f"/docs/{name}")

    assert response.status_code == 404


def test_api_page_reads_this_stacks_document_and_asks_no_outside_validator():
    script = (API_DOCS_DIR / "init.js").read_text(encoding="utf-8")

    assert 'fetch("../openapi.json"' in script and "validatorUrl: null" in script
    assert "http://" not in script and "https://" not in script
