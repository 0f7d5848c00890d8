"""The `smartdecl` command line: the options every command shares, and the commands wired from their
modules (`smartdecl_cli/commands/`, one per noun). Each command calls the public API, prints a table
(or --json), and exits 0 on success, 1 when the service refused something (or could not be reached),
2 on a usage error."""

from __future__ import annotations

from typing import Annotated

import typer

from . import output, profile
from .commands import (
    advisories,
    agent,
    batches,
    configs,
    declarations,
    enablement,
    events,
    executions,
    imports,
    login,
    mappings,
    parts,
    subscriptions,
    tax,
    webhook,
)
from .context import State, set_state
from .output import err

app = typer.Typer(
    help="smartdecl — smart assisted customs declaration (智能辅助申报) from the command line.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# nouns: a sub-command each
app.add_typer(declarations.app, name="declarations")
app.add_typer(configs.app, name="configs")
app.add_typer(mappings.app, name="mappings")
app.add_typer(parts.app, name="parts")
app.add_typer(tax.app, name="tax")
app.add_typer(events.app, name="events")
app.add_typer(subscriptions.app, name="subscriptions")
app.add_typer(advisories.app, name="advisories")
app.add_typer(agent.app, name="agent")
app.add_typer(agent.credentials_app, name="agent-credentials")
app.add_typer(webhook.app, name="webhook")  # as the API names them; also `agent credentials`

# verbs at the top, in the order of a working day (the help lists them so)
app.command()(login.login)
app.command()(enablement.enable)
app.command("import")(imports.import_files)
app.command()(declarations.mark)
app.command()(declarations.unmark)
app.command("continue")(declarations.continue_declarations)
app.command()(declarations.log)
app.command()(batches.batch)
app.command()(executions.start)
app.command()(executions.watch)
app.command()(executions.stop)
app.command()(executions.executions)


@app.callback()
def main_options(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(envvar="SMARTDECL_URL", help="Base URL of the API.")] = None,
    token: Annotated[str | None, typer.Option(envvar="SMARTDECL_TOKEN", help="Bearer token.")] = None,
    profile_name: Annotated[
        str, typer.Option("--profile", envvar="SMARTDECL_PROFILE", help="Profile saved by `login`.")
    ] = "default",
    lang: Annotated[str | None, typer.Option(help="zh or en (default: the locale).")] = None,
) -> None:
    """URL and token come from --url/--token, SMARTDECL_URL/SMARTDECL_TOKEN, or the saved profile."""
    saved = profile.load(profile_name)
    if lang is not None and lang not in ("zh", "en"):
        raise typer.BadParameter("zh or en", param_hint="--lang")
    ctx.obj = set_state(
        State(
            profile.Profile(profile_name, url or saved.url or profile.DEFAULT_URL, token or saved.token),
            output.language(lang),
        )
    )


def main() -> None:
    """The console script: the commands, and one line instead of a traceback for anything unforeseen."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        err.print(f"smartdecl: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        raise SystemExit(1) from None
