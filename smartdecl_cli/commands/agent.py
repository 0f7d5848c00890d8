"""`smartdecl agent`: the program on the broker's PC beside the Single Window client (run, doctor,
status); its code is `smartdecl_agent`, these are its commands."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import output
from ..context import JsonOpt, Refused, Usage, YesOpt, command, confirm, state
from ..output import err, out

app = typer.Typer(
    help="The agent on the broker's PC: moves files between smartdecl and the Single Window client (单一窗口客户端).",
    no_args_is_help=True,
)

RootOpt = Annotated[
    Path | None,
    typer.Option(help="The client's message folder (holds Deccus001\\OutBox …); env SMARTDECL_AGENT_ROOT."),
]
CredentialOpt = Annotated[
    Path | None,
    typer.Option(help="A file holding the agent credential (sdag_…); env SMARTDECL_AGENT_CREDENTIAL(_FILE)."),
]
AgentUrlOpt = Annotated[
    str | None, typer.Option("--agent-url", help="The API's URL; env SMARTDECL_AGENT_URL (default: --url).")
]
StateOpt = Annotated[Path | None, typer.Option(help="Journal, archive, quarantine, logs (default <root>\\smartdecl).")]


def _settings(root: Path | None, credential_file: Path | None, agent_url: str | None, state_dir: Path | None) -> Any:
    from smartdecl_agent.settings import AgentSettings, SettingsError

    st = state()
    try:
        return AgentSettings.from_env(
            root=root,
            credential_file=credential_file,
            url=agent_url or os.environ.get("SMARTDECL_AGENT_URL") or st.profile.url,
            state_dir=state_dir,
        )
    except SettingsError as exc:
        raise Usage(str(exc)) from None


@app.command("run")
@command
def agent_run(
    root: RootOpt = None,
    credential_file: CredentialOpt = None,
    agent_url: AgentUrlOpt = None,
    state_dir: StateOpt = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Log to the file only, not the console.")] = False,
) -> None:
    """Run in the foreground until Ctrl-C (a Windows service or scheduled task runs this same command)."""
    from smartdecl_agent import logs
    from smartdecl_agent.agent import Agent

    settings = _settings(root, credential_file, agent_url, state_dir)
    if not settings.root.is_dir():
        raise Usage(f"{settings.root} is not a folder: --root names the client's message folder (see `agent doctor`)")
    agent = Agent.open(settings)
    path = logs.configure(
        agent.folders.logs, max_bytes=settings.log_max_bytes, backups=settings.log_backups, console=not quiet
    )
    if not quiet:
        out.print(f"smartdecl agent: {settings.root} ⇄ {settings.url} (log {path}; Ctrl-C stops)", markup=False)
    stop = threading.Event()
    try:
        agent.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        agent.journal.close()


@app.command("doctor")
@command
def agent_doctor(
    root: RootOpt = None,
    credential_file: CredentialOpt = None,
    agent_url: AgentUrlOpt = None,
    state_dir: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the folders, the connection, the credential and the clock; say what to do about each failure."""
    from smartdecl_agent.doctor import FAIL, diagnose

    st = state()
    checks = diagnose(_settings(root, credential_file, agent_url, state_dir))
    if as_json:
        output.print_json({"checks": [c.as_dict() for c in checks]})
    else:
        marks = {"ok": "✓", "warn": "!", "fail": "✗"}
        output.table(
            None,
            ["", "check", "detail", "what to do" if st.lang == "en" else "处理办法"],
            [(marks[c.status], c.name, c.detail, c.fix_en if st.lang == "en" else c.fix_zh) for c in checks],
        )
    if any(c.status == FAIL for c in checks):
        raise Refused("")


@app.command("status")
@command
def agent_status(
    root: RootOpt = None,
    state_dir: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What the journal holds: tries by state, InBox files by outcome (this PC only, no service call)."""
    from smartdecl_agent.folders import Folders
    from smartdecl_agent.journal import Journal

    where = root or (Path(os.environ["SMARTDECL_AGENT_ROOT"]) if os.environ.get("SMARTDECL_AGENT_ROOT") else None)
    if where is None:
        raise Usage("--root or SMARTDECL_AGENT_ROOT names the client's message folder")
    folders = Folders.at(where, state_dir)
    if not folders.journal.exists():
        raise Refused(f"no journal at {folders.journal}: the agent never ran here")
    journal = Journal(folders.journal)
    try:
        data: dict[str, Any] = {"tries": journal.counts(), "inbox": journal.inbox_outcomes()}
    finally:
        journal.close()
    data["quarantine"] = [p.name for p in folders.files(folders.quarantine)]
    if as_json:
        output.print_json(data)
    else:
        output.pairs(str(folders.state_dir), data)


# ---- a person's side: credentials, and how the channel looks (报文客户端状态) ---------------------------

credentials_app = typer.Typer(
    help="Agent credentials (代理凭证): one per PC with a card; legal card to create or revoke.", no_args_is_help=True
)
app.add_typer(credentials_app, name="credentials")


@credentials_app.command("create")
@command
def credentials_create(
    name: Annotated[str, typer.Option(help="Which PC it is for, e.g. 报关部-1号机.")],
    as_json: JsonOpt = False,
) -> None:
    """A new credential (legal card); its key is printed this once, last and alone on its line: put it
    in the agent's credential file. It cannot be shown again."""
    st = state()
    data = st.client.post("/agent-credentials", {"name": name})
    if as_json:
        return output.print_json(data)
    output.pairs(data.get("credential_id"), {k: v for k, v in data.items() if k != "key"})
    err.print(
        "密钥只显示这一次：请立即复制到代理所在电脑的凭证文件并妥善保存；遗失只能吊销后重新新增。"
        if st.lang == "zh"
        else "The key is shown only this once: copy it into the agent's credential file on its PC now and keep it "
        "safe; if lost, revoke it and create another.",
        markup=False,
        highlight=False,
    )
    out.print(data.get("key") or "", markup=False, highlight=False)


@credentials_app.command("list")
@command
def credentials_list(as_json: JsonOpt = False) -> None:
    """Every credential with its last contact (never the key)."""
    data = state().client.get("/agent-credentials")
    if as_json:
        return output.print_json(data)
    cols = ("credential_id", "name", "created_at", "last_contact_at")
    output.table(None, cols, [tuple(c.get(k) for k in cols) for c in data.get("items") or []])


@credentials_app.command("revoke")
@command
def credentials_revoke(credential_id: str, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Revoke at once (legal card): the agent using it is refused from its next request. Asks first
    at a terminal, unless --yes."""
    st = state()
    confirm(
        f"是否确认吊销代理凭证 {credential_id}？吊销后使用该凭证的代理立即无法连接。"
        if st.lang == "zh"
        else f"Revoke agent credential {credential_id}? The agent using it is cut off at once.",
        yes,
    )
    st.client.delete(f"/agent-credentials/{credential_id}")
    output.print_json({"revoked": credential_id}) if as_json else out.print(f"revoked {credential_id}", markup=False)


@app.command("channel")
@command
def agent_channel(as_json: JsonOpt = False) -> None:
    """报文客户端状态: the channel, the agent (online, silent), the client (up, down) and the outbox."""
    data = state().client.get("/customs/channel")
    output.print_json(data) if as_json else output.pairs("customs channel", data)
