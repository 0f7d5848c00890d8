"""The `smartdecl` commands. Each one calls the public API, prints a table (or --json), and exits
0 on success, 1 when the service refused something (or could not be reached), 2 on a usage error."""

from __future__ import annotations

import functools
import inspect
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer

from . import importing, output, profile
from .client import ApiError, Client, Unreachable
from .output import err, out

app = typer.Typer(
    help="smartdecl — smart assisted customs declaration (智能辅助申报) from the command line.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
declarations_app = typer.Typer(help="Query declarations.", no_args_is_help=True)
configs_app = typer.Typer(help="Configs (预配置): list, show, create, update, enable, disable.", no_args_is_help=True)
tax_app = typer.Typer(help="Tax confirmation (税费确认).", no_args_is_help=True)
events_app = typer.Typer(help="The event feed (GET /events).", no_args_is_help=True)
subscriptions_app = typer.Typer(
    help="Push subscriptions: e-mail, SMS, webhooks; deliveries and replay.", no_args_is_help=True
)
app.add_typer(declarations_app, name="declarations")
app.add_typer(configs_app, name="configs")
app.add_typer(tax_app, name="tax")
app.add_typer(events_app, name="events")
app.add_typer(subscriptions_app, name="subscriptions")
advisories_app = typer.Typer(
    help="Advisory prompts (温馨提示) a person confirms when the config leaves them to one.", no_args_is_help=True
)
app.add_typer(advisories_app, name="advisories")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Refused(Exception):
    """The service answered, but refused part of the work (rejected records, refused marks)."""


class Usage(Exception):
    """A usage error found after parsing (exit 2)."""


@dataclass
class State:
    profile: profile.Profile
    lang: str
    _client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            if not self.profile.url:
                raise Usage("no service URL: --url, SMARTDECL_URL, or `smartdecl login`")
            import os

            self._client = Client(
                self.profile.url,
                self.profile.token,
                backoff_seconds=float(os.environ.get("SMARTDECL_BACKOFF_SECONDS", "0.5")),
            )
        return self._client


_state: State | None = None  # set by the main options callback, once per invocation


def state() -> State:
    if _state is None:
        raise Usage("no options parsed")
    return _state


def command(fn: Callable) -> Callable:
    """Errors → a message in the chosen language and an exit code; never a traceback."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        lang = state().lang
        try:
            return fn(*args, **kwargs)
        except ApiError as error:
            output.api_error(error, lang)
            raise typer.Exit(1) from None
        except Unreachable as error:
            err.print(f"{'无法连接服务' if lang == 'zh' else 'Service unreachable'}: {error}", markup=False)
            raise typer.Exit(1) from None
        except Refused as error:
            if str(error):
                err.print(str(error), markup=False)
            raise typer.Exit(1) from None
        except (Usage, importing.BadInput) as error:
            err.print(f"{'用法错误' if lang == 'zh' else 'Usage error'}: {error}", markup=False)
            raise typer.Exit(2) from None

    return run


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
    global _state
    saved = profile.load(profile_name)
    if lang is not None and lang not in ("zh", "en"):
        raise typer.BadParameter("zh or en", param_hint="--lang")
    _state = ctx.obj = State(
        profile.Profile(profile_name, url or saved.url or profile.DEFAULT_URL, token or saved.token),
        output.language(lang),
    )


# ---- login, enablement --------------------------------------------------------------------------


@app.command()
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
    sys.path.append(str(Path(__file__).resolve().parents[1]))
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


@app.command()
@command
def enable(
    accept: Annotated[bool, typer.Option("--accept", help="Accept the user notice (legal card).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show the user notice (用户须知) and whether it was accepted; --accept enables the service."""
    st = state()
    data = st.client.get("/enablement")
    if accept and not data.get("enabled"):
        data = st.client.post("/enablement", {"accept_notice": True})
    if as_json:
        return output.print_json(data)
    output.pairs("enablement", {k: v for k, v in data.items() if k != "notice"})


# ---- import ---------------------------------------------------------------------------------------


@app.command("import")
@command
def import_files(
    files: Annotated[list[Path], typer.Argument(help=".json, .xlsx or DecMessage .xml files.")],
    smart_mark: Annotated[
        bool, typer.Option("--smart-mark/--no-smart-mark", help="Import with the smart mark.")
    ] = False,
    rejected_out: Annotated[Path | None, typer.Option(help="Write rejected records (JSON).")] = None,
    chunk_size: Annotated[int, typer.Option(help="Records per request (≤ 500).")] = importing.MAX_RECORDS,
    as_json: JsonOpt = False,
) -> None:
    """Import declarations; re-running after a crash creates nothing twice (Idempotency-Key per request)."""
    from rich.progress import Progress

    st = state()
    chunks = importing.chunks(files, smart_mark=smart_mark, size=chunk_size)
    summary = importing.Summary()
    with Progress(console=err, transient=True, disable=as_json) as progress:
        task = progress.add_task("import", total=len(chunks))
        for chunk in chunks:
            answer = st.client.request(
                "POST",
                chunk.path,
                params=chunk.query,
                data=chunk.body,
                headers={"Content-Type": chunk.content_type, "Idempotency-Key": chunk.idempotency_key},
            )
            summary.add(chunk, answer or {})
            progress.advance(task)
    if rejected_out is not None:
        rejected_out.write_text(json.dumps(summary.rejected, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        output.print_json(summary.as_json())
    else:
        output.table(
            None,
            ["file", "accepted", "rejected"],
            [
                (
                    f,
                    sum(1 for a in summary.accepted if a["file"] == f),
                    sum(1 for r in summary.rejected if r["file"] == f),
                )
                for f in dict.fromkeys(c.file for c in chunks)
            ],
        )
        if summary.rejected:
            output.table(
                "rejected",
                ["file", "index", "field", "error"],
                [
                    (r["file"], r["index"], e.get("field"), e.get(f"message_{st.lang}") or e.get("message_zh"))
                    for r in summary.rejected
                    for e in r.get("errors") or [{}]
                ],
            )
    if summary.rejected:
        raise Refused(f"{len(summary.rejected)} rejected" if st.lang == "en" else f"{len(summary.rejected)} 条被拒绝")


# ---- declarations: query, mark -------------------------------------------------------------------

FILTERS = (
    "enterprise_type",
    "declaration_type",
    "ie_flag",
    "declare_customs",
    "smart_mark",
    "status",
    "smart_status",
    "seq_no",
    "entry_id",
    "bill_no",
    "consignee",
    "transport_mode",
    "card_no",
    "batch_no",
    "config_name",
    "tax_status",
    "from",
    "to",
    "range",
)


def with_filters(fn: Callable) -> Callable:
    """Adds the API's query filters (README: GET /declarations) as --options; passes them as `filters`."""
    sig = inspect.signature(fn, eval_str=True)  # Typer reads Annotated options from real objects
    extra = [
        inspect.Parameter(
            f"f_{name}",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None, typer.Option(f"--{name.replace('_', '-')}", help=f"filter: {name}", show_default=False)
            ],
        )
        for name in FILTERS
    ]

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        filters = {name: kwargs.pop(f"f_{name}") for name in FILTERS}
        return fn(*args, filters={k: v for k, v in filters.items() if v is not None}, **kwargs)

    # typer reads the signature; typeshed's functools._Wrapped does not declare __signature__
    run.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p for p in sig.parameters.values() if p.name != "filters"] + extra
    )
    return run


def _pages(client: Client, path: str, params: dict[str, Any], everything: bool):
    cursor = params.get("cursor")
    while True:
        page = client.get(path, {**params, "cursor": cursor})
        yield page
        cursor = page.get("next_cursor")
        if not everything or not cursor:
            return


DECLARATION_COLUMNS = (
    "seq_no",
    "ie_flag",
    "status",
    "smart_mark",
    "smart_status",
    "waiting_reason",
    "bill_no",
    "entry_id",
    "batch_no",
    "updated_at",
)


def _declaration_rows(items: list[dict]) -> list[tuple]:
    return [tuple(d.get(c) for c in DECLARATION_COLUMNS) for d in items]


@declarations_app.command("list")
@command
@with_filters
def declarations_list(
    filters: dict[str, str],
    page_size: Annotated[int, typer.Option(help="1 to 100.")] = 10,
    cursor: Annotated[str | None, typer.Option(help="From an earlier page.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow every page.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print seq_nos only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Query declarations with the API's filters (marking and query screens)."""
    _list(state().client, "/declarations", filters, page_size, cursor, all_pages, quiet, as_json)


def _list(
    client: Client,
    path: str,
    filters: dict,
    page_size: int,
    cursor: str | None,
    all_pages: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    items: list[dict] = []
    next_cursor = None
    for page in _pages(client, path, {**filters, "page_size": page_size, "cursor": cursor}, all_pages):
        items += page.get("items") or []
        next_cursor = page.get("next_cursor")
    if as_json:
        output.print_json({"items": items, "next_cursor": next_cursor})
    elif quiet:
        for d in items:
            out.print(d["seq_no"], markup=False, highlight=False)
    else:
        output.table(None, DECLARATION_COLUMNS, _declaration_rows(items))
        if next_cursor:
            err.print(f"more: --cursor {next_cursor}  (or --all)", markup=False, highlight=False)


@declarations_app.command("show")
@command
def declarations_show(seq_no: str, as_json: JsonOpt = False) -> None:
    """One declaration."""
    data = state().client.get(f"/declarations/{seq_no}")
    output.print_json(data) if as_json else output.pairs(seq_no, data)


def _matching(client: Client, filters: dict[str, str]) -> list[str]:
    return [
        d["seq_no"]
        for page in _pages(client, "/declarations", {**filters, "page_size": 100}, True)
        for d in page.get("items") or []
    ]


def _seq_nos_or_filter(client: Client, seq_nos: list[str] | None, all_matching: bool, filters: dict) -> list[str]:
    if seq_nos and all_matching:
        raise Usage("give seq_nos or --all-matching with filters, not both")
    if all_matching:
        return _matching(client, filters)
    if filters:
        raise Usage("filters need --all-matching")
    if not seq_nos:
        raise Usage("give seq_nos, or --all-matching with filters")
    return list(dict.fromkeys(seq_nos))


def _bulk(path: str, seq_nos: list[str], count_key: str, as_json: bool) -> None:
    st = state()
    results = [st.client.post(path, {"seq_nos": seq_nos[i : i + 500]}) for i in range(0, len(seq_nos), 500)]
    done = sum(int(r.get(count_key) or 0) for r in results)
    refused = [x for r in results for x in r.get("refused") or []]
    if as_json:
        output.print_json({count_key: done, "refused": refused, "results": results})
    else:
        for r in results:
            out.print(output.message(r, st.lang), markup=False, highlight=False)
        if refused:
            output.table(
                "refused",
                ["seq_no", "reason", "message"],
                [(x.get("seq_no"), x.get("reason"), output.message(x, st.lang)) for x in refused],
            )
    if refused:
        raise Refused("")


@app.command()
@command
@with_filters
def mark(
    filters: dict[str, str],
    seq_nos: Annotated[list[str] | None, typer.Argument()] = None,
    all_matching: Annotated[bool, typer.Option("--all-matching", help="Every declaration the filters match.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add the smart mark (智能申报标记), by seq_no or to every declaration the filters match."""
    _marking("mark", filters, seq_nos, all_matching, as_json)


@app.command()
@command
@with_filters
def unmark(
    filters: dict[str, str],
    seq_nos: Annotated[list[str] | None, typer.Argument()] = None,
    all_matching: Annotated[bool, typer.Option("--all-matching", help="Every declaration the filters match.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Cancel the smart mark (only 暂存 and 待申报 ones), by seq_no or by filter."""
    _marking("unmark", filters, seq_nos, all_matching, as_json)


def _marking(verb: str, filters: dict[str, str], seq_nos: list[str] | None, all_matching: bool, as_json: bool) -> None:
    """mark or unmark: the named declarations, or every one the filters match."""
    st = state()
    targets = _seq_nos_or_filter(st.client, seq_nos, all_matching, filters)
    if not targets:
        if as_json:
            output.print_json({f"{verb}ed": 0, "refused": []})
        else:
            out.print("没有匹配的报关单" if st.lang == "zh" else "nothing matched")
        return
    _bulk(f"/declarations/{verb}", targets, f"{verb}ed", as_json)


@app.command("continue")
@command
def continue_declarations(seq_nos: list[str], as_json: JsonOpt = False) -> None:
    """Continue (继续智能辅助申报): failed declarations back into the pool for the next batch."""
    _bulk("/declarations/continue", list(dict.fromkeys(seq_nos)), "continued", as_json)


@app.command()
@command
def log(seq_no: str, as_json: JsonOpt = False) -> None:
    """The declaration log (申报记录): every step with time, gate, outcome, reason, who, batch."""
    st = state()
    data = st.client.get(f"/declarations/{seq_no}/log")
    if as_json:
        return output.print_json(data)
    output.table(
        seq_no,
        ["at", "gate", "outcome", "reason", "who", "batch_no"],
        [
            (
                e.get("at"),
                e.get("gate"),
                e.get("outcome"),
                e.get(f"reason_{st.lang}") or e.get("reason_zh"),
                e.get("who"),
                e.get("batch_no"),
            )
            for e in data.get("items") or []
        ],
    )


@app.command()
@command
def batch(batch_no: str, as_json: JsonOpt = False) -> None:
    """The console of one batch (智能申报台): counts and each declaration's result."""
    st = state()
    data = st.client.get(f"/batches/{batch_no}")
    if as_json:
        return output.print_json(data)
    output.pairs(batch_no, {k: v for k, v in data.items() if k != "declarations"})
    output.table(
        None,
        ["seq_no", "result", "smart_status", "entry_id", "reason"],
        [
            (
                d.get("seq_no"),
                d.get("result"),
                d.get("smart_status"),
                d.get("entry_id"),
                d.get(f"reason_{st.lang}") or d.get("reason_zh"),
            )
            for d in data.get("declarations") or []
        ],
    )


# ---- configs ----------------------------------------------------------------------------------------

CONFIG_COLUMNS = (
    "config_id",
    "name",
    "enabled",
    "ie_flag",
    "effective_by",
    "require_manifest",
    "require_arrival",
    "compare_manifest",
    "auxiliary_confirm",
    "auto_agency_agreement",
    "batch_wait_seconds",
)


@configs_app.command("list")
@command
def configs_list(as_json: JsonOpt = False) -> None:
    """The enterprise's configs."""
    data = state().client.get("/configs")
    if as_json:
        return output.print_json(data)
    output.table(None, CONFIG_COLUMNS, [tuple(c.get(k) for k in CONFIG_COLUMNS) for c in data.get("items") or []])


def _config_id(client: Client, ref: str) -> str:
    """A config id, or a config's name (resolved among the enterprise's configs)."""
    return _config_ids(client, [ref])[0]


def _config_ids(client: Client, refs: Sequence[str]) -> list[str]:
    """Config ids or names, each resolved among the enterprise's configs (read once)."""
    if not refs:
        return []
    configs = client.get("/configs").get("items") or []
    ids = {c["config_id"] for c in configs}

    def resolved(ref: str) -> str:
        if ref in ids:
            return ref
        named = [c["config_id"] for c in configs if c.get("name") == ref]
        if len(named) > 1:
            raise Usage(f"several configs are named {ref!r}: use the config_id")
        return named[0] if named else ref  # an unknown one: let the API answer 404 in its words

    return [resolved(ref) for ref in refs]


@configs_app.command("show")
@command
def configs_show(config: str, as_json: JsonOpt = False) -> None:
    """One config, by id or name."""
    client = state().client
    data = client.get(f"/configs/{_config_id(client, config)}")
    output.print_json(data) if as_json else output.pairs(data.get("name"), data)


def _config_changes(
    name,
    ie_flag,
    effective_by,
    agent_code,
    agent_uscc,
    consignee_code,
    consignee_uscc,
    operator_card,
    auxiliary_confirm,
    auto_agency_agreement,
    require_manifest,
    require_arrival,
    compare_manifest,
    batch_wait,
) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "name": name,
        "ie_flag": ie_flag,
        "effective_by": effective_by,
        "auxiliary_confirm": auxiliary_confirm,
        "auto_agency_agreement": auto_agency_agreement,
        "require_manifest": require_manifest,
        "require_arrival": require_arrival,
        "compare_manifest": compare_manifest,
        "batch_wait_seconds": batch_wait,
    }
    if agent_code or agent_uscc:
        changes["agent"] = {k: v for k, v in {"code": agent_code, "uscc": agent_uscc}.items() if v}
    if consignee_code or consignee_uscc:
        changes["consignee"] = {k: v for k, v in {"code": consignee_code, "uscc": consignee_uscc}.items() if v}
    if operator_card:
        changes["operator_cards"] = list(operator_card)
    return {k: v for k, v in changes.items() if v is not None}


Opt = typer.Option


@configs_app.command("create")
@command
def configs_create(
    name: Annotated[str | None, Opt(help="Config name.")] = None,
    ie_flag: Annotated[str | None, Opt(help="I or E.")] = None,
    effective_by: Annotated[str, Opt(help="enterprise or user.")] = "enterprise",
    agent_code: Annotated[str | None, Opt(help="Declaring unit's customs code (default: yours).")] = None,
    agent_uscc: Annotated[str | None, Opt()] = None,
    consignee_code: Annotated[str | None, Opt()] = None,
    consignee_uscc: Annotated[str | None, Opt()] = None,
    operator_card: Annotated[list[str] | None, Opt(help="effective_by user: a card (repeat).")] = None,
    auxiliary_confirm: Annotated[bool | None, Opt("--auxiliary-confirm/--no-auxiliary-confirm")] = None,
    auto_agency_agreement: Annotated[bool | None, Opt("--auto-agency-agreement/--no-auto-agency-agreement")] = None,
    require_manifest: Annotated[bool | None, Opt("--require-manifest/--no-require-manifest")] = None,
    require_arrival: Annotated[bool | None, Opt("--require-arrival/--no-require-arrival")] = None,
    compare_manifest: Annotated[bool | None, Opt("--compare-manifest/--no-compare-manifest")] = None,
    batch_wait: Annotated[int | None, Opt(help="Seconds between batches.")] = None,
    from_file: Annotated[Path | None, Opt(help="A config JSON (shared/examples/config.json).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a config (legal-person card)."""
    st = state()
    body = _read_json(from_file) if from_file else {}
    body.update(
        _config_changes(
            name,
            ie_flag,
            effective_by if not from_file or "effective_by" not in body else None,
            agent_code,
            agent_uscc,
            consignee_code,
            consignee_uscc,
            operator_card,
            auxiliary_confirm,
            auto_agency_agreement,
            require_manifest,
            require_arrival,
            compare_manifest,
            batch_wait,
        )
    )
    body.pop("_comment", None)
    if body.get("effective_by") == "enterprise" and "agent" not in body:
        body["agent"] = {"code": st.profile.ent_code}  # the usual case: we are the declaring unit
    data = st.client.post("/configs", body)
    output.print_json(data) if as_json else output.pairs(data.get("name"), data)


@configs_app.command("update")
@command
def configs_update(
    config: str,
    name: Annotated[str | None, Opt()] = None,
    ie_flag: Annotated[str | None, Opt()] = None,
    effective_by: Annotated[str | None, Opt()] = None,
    agent_code: Annotated[str | None, Opt()] = None,
    agent_uscc: Annotated[str | None, Opt()] = None,
    consignee_code: Annotated[str | None, Opt()] = None,
    consignee_uscc: Annotated[str | None, Opt()] = None,
    operator_card: Annotated[list[str] | None, Opt()] = None,
    auxiliary_confirm: Annotated[bool | None, Opt("--auxiliary-confirm/--no-auxiliary-confirm")] = None,
    auto_agency_agreement: Annotated[bool | None, Opt("--auto-agency-agreement/--no-auto-agency-agreement")] = None,
    require_manifest: Annotated[bool | None, Opt("--require-manifest/--no-require-manifest")] = None,
    require_arrival: Annotated[bool | None, Opt("--require-arrival/--no-require-arrival")] = None,
    compare_manifest: Annotated[bool | None, Opt("--compare-manifest/--no-compare-manifest")] = None,
    batch_wait: Annotated[int | None, Opt()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a config (legal-person card): the given fields, the others kept."""
    changes = _config_changes(
        name,
        ie_flag,
        effective_by,
        agent_code,
        agent_uscc,
        consignee_code,
        consignee_uscc,
        operator_card,
        auxiliary_confirm,
        auto_agency_agreement,
        require_manifest,
        require_arrival,
        compare_manifest,
        batch_wait,
    )
    _put_config(config, changes, as_json)


def _put_config(config: str, changes: dict[str, Any], as_json: bool) -> None:
    client = state().client
    config_id = _config_id(client, config)
    current = client.get(f"/configs/{config_id}")
    body = {
        k: v for k, v in current.items() if k not in ("config_id", "created_by", "created_at", "updated_at", "ent_code")
    }
    data = client.put(f"/configs/{config_id}", {**body, **changes})
    output.print_json(data) if as_json else output.pairs(data.get("name"), data)


@configs_app.command("enable")
@command
def configs_enable(config: str, as_json: JsonOpt = False) -> None:
    """Enable a config (legal-person card); refused on a uniqueness clash, with the seed's message."""
    _put_config(config, {"enabled": True}, as_json)


@configs_app.command("disable")
@command
def configs_disable(config: str, as_json: JsonOpt = False) -> None:
    """Disable a config (legal-person card)."""
    _put_config(config, {"enabled": False}, as_json)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise Usage(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise Usage(f"{path}: expected a JSON object")
    return data


# ---- executions: start, watch, stop -----------------------------------------------------------------


@app.command()
@command
def start(
    config: Annotated[list[str], typer.Option(help="Config id or name (repeat for several).")],
    enterprise_type: Annotated[str, typer.Option(help="agent or consignee.")] = "agent",
    watch_it: Annotated[bool, typer.Option("--watch", help="Then watch it live.")] = False,
    until: Annotated[
        str | None,
        typer.Option(help="With --watch: stop watching at the first `released` (放行) or `succeeded` declaration."),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 2.0,
    timeout: Annotated[float | None, typer.Option(help="Stop watching after this many seconds.")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print the execution id only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Press start once (一键启动): the first batch starts at once."""
    st = state()
    _check_until(until)
    config_ids = _config_ids(st.client, config)
    # where the feed stands before the start: the watch then sees every event of this execution
    cursor = _feed_end(st.client) if watch_it and until else ""
    execution = st.client.post("/executions", {"enterprise_type": enterprise_type, "config_ids": config_ids})
    profile.write_state(st.profile, "last-execution", execution["execution_id"])
    if quiet:
        out.print(execution["execution_id"], markup=False, highlight=False)
    elif as_json and not watch_it:
        output.print_json(execution)
    elif not as_json:
        out.print(f"started {execution['execution_id']}", markup=False, highlight=False)
    if watch_it:
        _watch(execution["execution_id"], until, interval, timeout, as_json, cursor)


def _check_until(until: str | None) -> None:
    if until not in (None, "released", "succeeded"):
        raise Usage("--until is released or succeeded")


def _execution_ref(execution: str | None) -> str:
    st = state()
    ref = execution or profile.read_state(st.profile, "last-execution")
    if not ref:
        raise Usage("give an execution id (none was started from this profile)")
    return ref


@app.command()
@command
def watch(
    execution: Annotated[str | None, typer.Argument(help="Default: the last one started here.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Stop watching at the first `released` or `succeeded` declaration.")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 2.0,
    timeout: Annotated[float | None, typer.Option(help="Stop watching after this many seconds.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Watch an execution live; Ctrl-C stops watching, not the execution."""
    _check_until(until)
    _watch(_execution_ref(execution), until, interval, timeout, as_json)


def _until_met(until: str | None, event: dict) -> bool:
    data = event.get("data") or {}
    if until == "released":
        return event.get("event_type") == "customs_receipt" and data.get("channel") == "P"
    if until == "succeeded":
        return event.get("event_type") == "smart_status_changed" and data.get("smart_status") == "succeeded"
    return False


def _feed_end(client: Client) -> str | None:
    """The cursor after every event so far: a watch only looks at what happens from now on."""
    cursor = None
    while True:
        page = client.get("/events", {"after": cursor, "page_size": 500})
        cursor = page.get("next_cursor")
        if not page.get("has_more"):
            return cursor


def _watch(
    execution_id: str, until: str | None, interval: float, timeout: float | None, as_json: bool, cursor: str | None = ""
) -> None:
    from rich.live import Live

    st = state()
    deadline = time.monotonic() + timeout if timeout is not None else None
    if until and cursor == "":  # "": not known yet; None: the feed's start
        cursor = _feed_end(st.client)
    last_event: dict | None = None
    try:
        with Live(console=out, auto_refresh=False, transient=False) as live:
            if as_json:
                live.stop()
            while True:
                view = st.client.get(f"/executions/{execution_id}")
                met = False
                if until:
                    cursor, last_event, met = _next_events(st.client, until, cursor, last_event)
                if as_json:
                    output.print_json_line({"execution": view, **({"until_met": met} if until else {})})
                else:
                    live.update(_live_view(view, last_event, st.lang), refresh=True)
                if met or view.get("status") == "stopped" or (deadline and time.monotonic() >= deadline):
                    break
                time.sleep(interval)
    except KeyboardInterrupt:
        err.print(
            f"\n{execution_id} is still running: `smartdecl watch {execution_id}` to look again, "
            f"`smartdecl stop {execution_id}` to stop it.",
            markup=False,
            highlight=False,
        )
        return
    if until and not met:
        raise Refused(f"no declaration {until} before the watch ended")
    if not as_json and met and last_event:
        out.print(f"{last_event.get('seq_no')} {until}", markup=False, highlight=False)


def _next_events(
    client: Any, until: str, cursor: str | None, last_event: dict | None
) -> tuple[str | None, dict | None, bool]:
    """The feed read on from `cursor`: (the next cursor, the last event seen, whether `until` was met)."""
    page = client.get("/events", {"after": cursor, "page_size": 500})
    cursor = page.get("next_cursor") or cursor
    for item in page.get("items") or []:
        last_event = item["event"]
        if _until_met(until, last_event):
            return cursor, last_event, True
    return cursor, last_event, False


def _live_view(view: dict, last_event: dict | None, lang: str):
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    zh = lang == "zh"
    percent = view.get("progress_percent") or 0
    t = Table(show_header=False, title=f"{view.get('execution_id')} ({view.get('status')})")
    t.add_column(style="bold")
    t.add_column()
    rows: list[tuple[str, Any]] = [
        ("批次号" if zh else "batch", f"{view.get('current_batch_no') or '-'} (#{view.get('batch_index') or 0})"),
        (
            "本批成功/失败" if zh else "this batch ok/failed",
            f"{view.get('batch_succeeded')} / {view.get('batch_failed')}",
        ),
        ("累计成功/失败" if zh else "total ok/failed", f"{view.get('total_succeeded')} / {view.get('total_failed')}"),
        ("进度" if zh else "progress", f"{percent}%"),
        ("", ProgressBar(total=100, completed=percent, width=30)),
        (
            "倒计时" if zh else "next batch in",
            "-" if view.get("countdown_seconds") is None else f"{view.get('countdown_seconds')} s",
        ),
        ("海关可用" if zh else "customs available", "✓" if view.get("customs_available") else "✗"),
    ]
    if last_event:
        rows.append(("最近事件" if zh else "last event", _event_line(last_event)))
    for label, value in rows:
        t.add_row(label, value)
    return t


@app.command()
@command
def stop(
    execution: Annotated[str | None, typer.Argument(help="Default: the last one started here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop: no new batch starts; declarations in flight finish."""
    data = state().client.post(f"/executions/{_execution_ref(execution)}/stop")
    output.print_json(data) if as_json else output.pairs(
        "stopped", data, ["execution_id", "status", "batches_total", "total_succeeded", "total_failed"]
    )


@app.command()
@command
def executions(as_json: JsonOpt = False) -> None:
    """The enterprise's executions, newest first."""
    data = state().client.get("/executions")
    if as_json:
        return output.print_json(data)
    cols = ("execution_id", "status", "started_at", "batches_total", "total_succeeded", "total_failed")
    output.table(None, cols, [tuple(e.get(c) for c in cols) for e in data.get("items") or []])


# ---- tax -----------------------------------------------------------------------------------------


@tax_app.command("list")
@command
@with_filters
def tax_list(
    filters: dict[str, str],
    page_size: Annotated[int, typer.Option()] = 10,
    cursor: Annotated[str | None, typer.Option()] = None,
    all_pages: Annotated[bool, typer.Option("--all")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Self-declared self-paid declarations whose tax is unconfirmed (税费确认查询)."""
    _list(state().client, "/tax-confirmations", filters, page_size, cursor, all_pages, quiet, as_json)


@tax_app.command("show")
@command
def tax_show(seq_no: str, as_json: JsonOpt = False) -> None:
    """The computed tax detail (duty, consumption tax, VAT)."""
    data = state().client.get(f"/declarations/{seq_no}/tax")
    output.print_json(data) if as_json else output.pairs(seq_no, data)


@tax_app.command("confirm")
@command
def tax_confirm(seq_no: str, as_json: JsonOpt = False) -> None:
    """Confirm the tax by hand: the engine declares it in a later batch."""
    data = state().client.post(f"/declarations/{seq_no}/tax/confirm")
    output.print_json(data) if as_json else output.pairs(seq_no, data)


# ---- advisory prompts ----------------------------------------------------------------------------------


@advisories_app.command("show")
@command
def advisories_show(seq_no: str, as_json: JsonOpt = False) -> None:
    """The prompts the declaration waits on, as its log's latest advisory step lists them."""
    st = state()
    steps = [e for e in st.client.get(f"/declarations/{seq_no}/log").get("items") or [] if e.get("gate") == "advisory"]
    latest: dict[str, Any] = steps[-1] if steps else {}  # the log reads oldest first
    details = latest.get("details")
    prompts = (details.get("prompts") if isinstance(details, dict) else details) or []
    if as_json:
        return output.print_json({"seq_no": seq_no, "outcome": latest.get("outcome"), "prompts": prompts})
    output.table(
        seq_no,
        ["code", "g_no", "prompt"],
        [(p.get("code"), p.get("g_no"), p.get(f"message_{st.lang}") or p.get("message_zh")) for p in prompts],
    )


@advisories_app.command("confirm")
@command
def advisories_confirm(seq_no: str, as_json: JsonOpt = False) -> None:
    """Confirm the prompts it raises now (see `advisories show`): the engine declares it in a later batch."""
    data = state().client.post(f"/declarations/{seq_no}/advisories/confirm")
    output.print_json(data) if as_json else output.pairs(seq_no, data)


# ---- events ------------------------------------------------------------------------------------------


def _event_line(e: dict) -> str:
    d = e.get("data") or {}
    what = (
        f"{d.get('channel')} {d.get('channel_label') or ''}".strip()
        if e.get("event_type") == "customs_receipt"
        else str(d.get("smart_status") or "")
    )
    extra = " ".join(
        str(x) for x in (d.get("waiting_reason"), d.get("entry_id"), d.get("batch_no"), d.get("reason_zh")) if x
    )
    return f"{e.get('occurred_at')}  {e.get('event_type')}  {e.get('seq_no')}  {what}  {extra}".rstrip()


@events_app.command("follow")
@command
def events_follow(
    from_start: Annotated[bool, typer.Option("--from-start", help="Ignore the saved cursor.")] = False,
    once: Annotated[bool, typer.Option("--once", help="Stop when caught up.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls when caught up.")] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Every smart-status change and receipt as it happens, one line (or JSON object) each; resumes where
    it left off (the cursor is saved in the profile directory after each event)."""
    st = state()
    cursor = None if from_start else profile.read_state(st.profile, "events-cursor")
    try:
        while True:
            page = st.client.get("/events", {"after": cursor, "page_size": 100})
            for item in page.get("items") or []:
                if as_json:
                    output.print_json_line(item["event"])
                else:
                    out.print(_event_line(item["event"]), markup=False, highlight=False)
                cursor = item["cursor"]
                profile.write_state(st.profile, "events-cursor", cursor)
            if not page.get("has_more"):
                if once:
                    return
                time.sleep(interval)
    except KeyboardInterrupt:
        return


# ---- subscriptions -----------------------------------------------------------------------------------

SUBSCRIPTION_COLUMNS = ("subscription_id", "protocol", "endpoint", "event_types", "states", "digest", "quiet_hours")


@subscriptions_app.command("list")
@command
def subscriptions_list(as_json: JsonOpt = False) -> None:
    """The enterprise's subscriptions."""
    data = state().client.get("/subscriptions")
    if as_json:
        return output.print_json(data)
    output.table(None, SUBSCRIPTION_COLUMNS, [_subscription_row(s) for s in data.get("items") or []])


def _subscription_row(s: dict[str, Any]) -> tuple[Any, ...]:
    def shown(column: str) -> Any:
        value = s.get(column)
        if column == "quiet_hours":
            return f"{value['start']}-{value['end']}" if value else None
        return ",".join(value) if isinstance(value, list) else value

    return tuple(shown(c) for c in SUBSCRIPTION_COLUMNS)


@subscriptions_app.command("show")
@command
def subscriptions_show(subscription_id: str, as_json: JsonOpt = False) -> None:
    data = state().client.get(f"/subscriptions/{subscription_id}")
    output.print_json(data) if as_json else output.pairs(subscription_id, data)


@subscriptions_app.command("create")
@command
def subscriptions_create(
    protocol: Annotated[str, typer.Option(help="email, sms or webhook.")],
    endpoint: Annotated[str, typer.Option(help="Address, mobile number or HTTPS URL.")],
    event_type: Annotated[list[str] | None, typer.Option(help="Narrow (repeat).")] = None,
    state_: Annotated[
        list[str] | None, typer.Option("--state", help="Only these states, e.g. failed, released (repeat).")
    ] = None,
    config: Annotated[list[str] | None, typer.Option(help="Only these configs: id or name (repeat).")] = None,
    digest: Annotated[str | None, typer.Option(help="E-mail: hourly or daily, one message per window.")] = None,
    quiet_hours: Annotated[
        str | None, typer.Option(help='SMS: held from START to END, China time, e.g. "22:00-08:00".')
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe (legal card); a webhook's signing secret is printed this once. Without choices every
    event of the enterprise is sent."""
    client = state().client
    body: dict[str, Any] = {
        "protocol": protocol,
        "endpoint": endpoint,
        "event_types": list(event_type or []),
        "states": list(state_ or []),
        "config_ids": _config_ids(client, config or []),
    }
    if digest:
        body["digest"] = digest
    if quiet_hours:
        start, sep, end = quiet_hours.partition("-")
        if not sep:
            raise Usage('--quiet-hours reads "HH:MM-HH:MM", e.g. "22:00-08:00"')
        body["quiet_hours"] = {"start": start.strip(), "end": end.strip()}
    data = client.post("/subscriptions", body)
    output.print_json(data) if as_json else output.pairs(data.get("subscription_id"), data)


@subscriptions_app.command("delete")
@command
def subscriptions_delete(subscription_id: str, as_json: JsonOpt = False) -> None:
    """Unsubscribe (legal card)."""
    state().client.delete(f"/subscriptions/{subscription_id}")
    output.print_json({"deleted": subscription_id}) if as_json else out.print(f"deleted {subscription_id}")


@subscriptions_app.command("deliveries")
@command
def subscriptions_deliveries(
    subscription_id: str,
    from_: Annotated[str | None, typer.Option("--from")] = None,
    to: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """The webhook delivery log: each event, its attempts and status."""
    data = state().client.get(f"/subscriptions/{subscription_id}/deliveries", {"from": from_, "to": to})
    if as_json:
        return output.print_json(data)
    output.table(
        None,
        ["event_id", "event_type", "seq_no", "status", "attempts", "updated_at"],
        [
            (
                d["event"].get("event_id"),
                d["event"].get("event_type"),
                d["event"].get("seq_no"),
                d.get("status"),
                len(d.get("attempts") or []),
                d.get("updated_at"),
            )
            for d in data.get("items") or []
        ],
    )


@subscriptions_app.command("replay")
@command
def subscriptions_replay(
    subscription_id: str,
    from_: Annotated[str, typer.Option("--from")],
    to: Annotated[str, typer.Option()],
    as_json: JsonOpt = False,
) -> None:
    """Send a time window of events to a webhook again."""
    data = state().client.post(f"/subscriptions/{subscription_id}/replay", {"from": from_, "to": to})
    output.print_json(data) if as_json else output.pairs("replay", data)


def main() -> None:
    """The console script: the commands, and one line instead of a traceback for anything unforeseen."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        err.print(f"smartdecl: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        raise SystemExit(1) from None
