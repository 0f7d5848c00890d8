"""The web console's server side: its static files, its sign-in settings, the local sign-in.

The console is a folder of plain files (`console/` at the repository root, shipped with the
function's code); the API serves them so the console shares the API's origin (no CORS, one
ICP-filed domain in China).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.domain import errors
from chalicelib.domain.errors import FieldError

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json; charset=utf-8",
}
# one flat folder: a name can never climb out of it
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(html|js|css|svg)$")
_ENT_CODE = re.compile(r"^[0-9A-Z]{10}$")
_USCC = re.compile(r"^[0-9A-Z]{18}$")
_CARD = re.compile(r"^[0-9A-Za-z]{1,32}$")


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


_cache: dict[str, Asset] = {}


def asset(name: str, directory: Path = CONSOLE_DIR) -> Asset:
    """One of the console's files, read once per cold start; anything else is not found."""
    key = f"{directory}/{name}"
    if key in _cache:
        return _cache[key]
    path = directory / name
    if not _NAME.match(name) or not path.is_file():
        raise errors.not_found("文件", "File", name)
    body = path.read_text(encoding="utf-8")
    found = Asset(body, CONTENT_TYPES[path.suffix], '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"')
    _cache[key] = found
    return found


@dataclass(frozen=True)
class SignInSettings:
    """How the console signs people in: the local development form, or the hosted OIDC login."""

    local_mode: bool
    oidc_domain: str | None  # the hosted UI's base URL, e.g. https://smartdecl-prod.auth.cn-north-1.amazoncognito.com
    oidc_client_id: str | None
    manual_url: str | None = None  # the clerks' manual (用户手册) the enablement screen links to

    @classmethod
    def from_env(cls, *, local_mode: bool, env: Any = None) -> SignInSettings:
        env = os.environ if env is None else env
        return cls(
            local_mode=local_mode,
            oidc_domain=(env.get("SMARTDECL_OIDC_DOMAIN") or "").rstrip("/") or None,
            oidc_client_id=env.get("SMARTDECL_OIDC_CLIENT_ID") or None,
            manual_url=env.get("SMARTDECL_MANUAL_URL") or None,
        )


def client_config(sign_in: SignInSettings) -> dict[str, Any]:
    """What the console's script needs to know before anyone signs in."""
    manual = {"manual_url": sign_in.manual_url} if sign_in.manual_url else {}
    if sign_in.local_mode:
        return {"sign_in": "local", "dev_token_path": "../dev/token", **manual}
    if not (sign_in.oidc_domain and sign_in.oidc_client_id):
        return {"sign_in": "unconfigured", **manual}
    return {
        **manual,
        "sign_in": "oidc",
        "client_id": sign_in.oidc_client_id,
        "scopes": "openid profile email",
        "authorize_url": f"{sign_in.oidc_domain}/oauth2/authorize",
        "token_url": f"{sign_in.oidc_domain}/oauth2/token",
        "logout_url": f"{sign_in.oidc_domain}/logout",
    }


def content_security_policy(sign_in: SignInSettings) -> str:
    # Only our own files run; the token endpoint is the one other origin the script may call.
    connect = "'self'" + (f" {sign_in.oidc_domain}" if sign_in.oidc_domain and not sign_in.local_mode else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def issue_dev_token(
    sign_in: SignInSettings, secret: str | None, body: Any, issue: Callable[..., str]
) -> dict[str, Any]:
    """The local stack's sign-in (pick enterprise and card). A deployed stack has no such thing:
    it answers exactly like a route that does not exist."""
    if not sign_in.local_mode or not secret:
        raise errors.not_found("接口", "Route", "/dev/token")
    body = body if isinstance(body, dict) else {}
    problems = [
        FieldError(name, f"{name}不是可接受的字段", f"{name} is not a known field")
        for name in sorted(set(body) - {"ent_code", "ent_uscc", "role", "card_no"})
    ]
    ent_code, uscc = body.get("ent_code"), body.get("ent_uscc")  # null or absent: none; {} or "" refused
    role, card_no = body.get("role"), body.get("card_no")
    if not isinstance(ent_code, str) or not _ENT_CODE.match(ent_code):
        problems.append(
            FieldError(
                "ent_code", "企业海关编码须为10位数字或大写字母", "ent_code must be 10 digits or capital letters"
            )
        )
    if uscc is not None and (not isinstance(uscc, str) or not _USCC.match(uscc)):
        problems.append(FieldError("ent_uscc", "统一社会信用代码须为18位", "ent_uscc must have 18 characters"))
    if role not in ("legal", "operator"):
        problems.append(FieldError("role", "卡类型须为法人卡或操作员卡", "role must be legal or operator"))
    if not isinstance(card_no, str) or not _CARD.match(card_no):
        problems.append(FieldError("card_no", "卡号须为1至32位字母或数字", "card_no must be 1 to 32 letters or digits"))
    if problems:
        raise errors.invalid_request(problems)
    ttl = 3600
    token = issue(secret, ent_code=ent_code, ent_uscc=uscc, role=role, card_no=card_no, ttl_seconds=ttl)
    return {"id_token": token, "token_type": "Bearer", "expires_in": ttl}
