"""`smartdecl login`: a token for the local stack, saved in the profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

import typer

from .. import profile
from ..context import LOCAL_HOSTS, Usage, command, state
from ..output import out


@command
def login(
    ent_code: Annotated[str, typer.Option(help="10-character customs code of the enterprise.")],
    uscc: Annotated[str | None, typer.Option(help="18-character unified social credit code.")] = None,
    role: Annotated[str, typer.Option(help="legal (法人卡) or operator (操作员卡).")] = "legal",
    card_no: Annotated[str | None, typer.Option(help="Card number (default: derived).")] = None,
    hours: Annotated[float, typer.Option(help="Token lifetime.")] = 8,
) -> None:
    """Issue a development token for the LOCAL stack (`make run`) and save it in the profile."""
    st = state()
    host = urlparse(st.profile.url or "").hostname or ""
    if host not in LOCAL_HOSTS:
        raise Usage(
            f"login issues development tokens for the local stack only, not {st.profile.url}; "
            "pass a real token with --token or SMARTDECL_TOKEN"
        )
    if role not in ("legal", "operator"):
        raise Usage("--role is legal or operator")
    import os
    import sys

    # the project's own token helper (the same claims the API checks); the CLI sits beside chalicelib/
    sys.path.append(str(Path(__file__).resolve().parents[2]))
    try:
        from chalicelib.adapters.tokens import issue_token
        from chalicelib.config import DEV_JWT_SECRET
    except ImportError as exc:  # pragma: no cover - the CLI installed outside the project
        raise Usage("login needs the smartdecl project (run it from the repository's .venv)") from exc
    secret = os.environ.get("SMARTDECL_JWT_SECRET") or DEV_JWT_SECRET
    card = card_no or f"{ent_code}{'L' if role == 'legal' else 'O'}01"
    st.profile.token = issue_token(
        secret, ent_code=ent_code, ent_uscc=uscc, role=role, card_no=card, ttl_seconds=int(hours * 3600)
    )
    path = profile.save(st.profile)
    out.print(f"{st.profile.name}: {ent_code} {role} → {st.profile.url} (saved in {path})", markup=False)
