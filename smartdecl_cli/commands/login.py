"""`smartdecl login`: sign in through the public API and save the token in the profile, once the
service answered and accepted it."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import profile, signin
from ..context import Refused, Usage, command, state
from ..output import err, out


@command
def login(
    ent_code: Annotated[
        str | None, typer.Option(help="Local stack: the enterprise's 10-character customs code.")
    ] = None,
    uscc: Annotated[str | None, typer.Option(help="Local stack: 18-character unified social credit code.")] = None,
    role: Annotated[str, typer.Option(help="Local stack: legal (法人卡) or operator (操作员卡).")] = "legal",
    card_no: Annotated[str | None, typer.Option(help="Local stack: card number (default: derived).")] = None,
    callback_port: Annotated[
        int, typer.Option(help="Deployed: the port of the browser sign-in's redirect to localhost.")
    ] = signin.DEFAULT_CALLBACK_PORT,
) -> None:
    """Sign in and save the token in the profile. The local stack (`make run`) issues a development
    token for --ent-code; a deployed service signs you in in your browser (its identity provider)."""
    st = state()
    if role not in ("legal", "operator"):
        raise Usage("--role is legal or operator")
    try:
        mode = signin.sign_in_mode(st.client)
        if mode["sign_in"] == "local":
            if not ent_code:
                raise Usage("the local stack signs in a chosen enterprise: give --ent-code (and --uscc)")
            card = card_no or f"{ent_code}{'L' if role == 'legal' else 'O'}01"
            token = signin.local_token(st.client, signin.LocalCard(ent_code, uscc, role, card))
        elif mode["sign_in"] == "oidc":
            if ent_code or uscc or card_no:
                raise Usage(
                    "a deployed service signs you in in the browser; --ent-code, --uscc, --card-no are local only"
                )
            token = signin.browser_token(
                mode, port=callback_port, say=lambda text: err.print(text, markup=False, highlight=False)
            )
        else:
            raise Refused(f"{st.client.url} has no sign-in configured (ask its operator)")
    except signin.SignInFailed as exc:
        raise Refused(str(exc)) from None
    st.client.token = token
    st.client.get("/enablement")  # the token is accepted (401 otherwise), before anything is saved
    st.profile.token = token
    path = profile.save(st.profile)
    out.print(
        f"{st.profile.name}: {st.profile.ent_code} → {st.profile.url} (saved in {path})", markup=False, highlight=False
    )
