"""`smartdecl configs`: the enterprise's configs (预配置), by id or name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from smartdecl_client import Client

from .. import output
from ..context import JsonOpt, Opt, Usage, YesOpt, command, confirm, state
from ..output import out

app = typer.Typer(help="Configs (预配置): list, show, create, update, enable, disable, delete.", no_args_is_help=True)

# what `configs list` shows: few enough columns to read at 80 characters (everything else: --json or show)
# the id's first 8 characters: every command takes them (or the name) for the config
CONFIG_COLUMNS = ("id", "name", "enabled", "ie", "effective_by", "rules", "wait_s")
SHORT_ID = 8
# the rules a config switches on, in a word each
RULES = {
    "require_manifest": "manifest",
    "require_arrival": "arrival",
    "compare_manifest": "compare",
    "auxiliary_confirm": "confirm",
    "auto_agency_agreement": "agreement",
}


def _row(c: dict[str, Any]) -> tuple[Any, ...]:
    rules = ",".join(word for key, word in RULES.items() if c.get(key)) or "-"
    short_id = str(c.get("config_id"))[:SHORT_ID]
    return (short_id, c.get("name"), c.get("enabled"), c.get("ie_flag"), c.get("effective_by"), rules,
            c.get("batch_wait_seconds"))  # fmt: skip


@app.command("list")
@command
def configs_list(as_json: JsonOpt = False) -> None:
    """The enterprise's configs (each one whole: show, or --json)."""
    data = state().client.get("/configs")
    if as_json:
        return output.print_json(data)
    output.table(None, CONFIG_COLUMNS, [_row(c) for c in data.get("items") or []])


def resolve_config(client: Client, ref: str) -> str:
    """A config id, or a config's name (resolved among the enterprise's configs)."""
    return resolve_configs(client, [ref])[0]


def resolve_configs(client: Client, refs: Sequence[str]) -> list[str]:
    """Config ids (or their first 8 characters, as `configs list` shows them) or names, each resolved
    among the enterprise's configs (read once)."""
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
        if not named and len(ref) >= SHORT_ID:  # the id as `configs list` shows it: its start
            named = [i for i in ids if i.startswith(ref)]
            if len(named) > 1:
                raise Usage(f"several configs' ids start with {ref!r}: give more of it")
        return named[0] if named else ref  # an unknown one: let the API answer 404 in its words

    return [resolved(ref) for ref in refs]


@app.command("show")
@command
def configs_show(config: str, as_json: JsonOpt = False) -> None:
    """One config, by id or name."""
    client = state().client
    data = client.get(f"/configs/{resolve_config(client, config)}")
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


@app.command("create")
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


@app.command("update")
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
    config_id = resolve_config(client, config)
    current = client.get(f"/configs/{config_id}")
    body = {
        k: v for k, v in current.items() if k not in ("config_id", "created_by", "created_at", "updated_at", "ent_code")
    }
    data = client.put(f"/configs/{config_id}", {**body, **changes})
    output.print_json(data) if as_json else output.pairs(data.get("name"), data)


@app.command("enable")
@command
def configs_enable(config: str, as_json: JsonOpt = False) -> None:
    """Enable a config (legal-person card); refused on a uniqueness clash, with the seed's message."""
    _put_config(config, {"enabled": True}, as_json)


@app.command("disable")
@command
def configs_disable(config: str, as_json: JsonOpt = False) -> None:
    """Disable a config (legal-person card)."""
    _put_config(config, {"enabled": False}, as_json)


@app.command("delete")
@command
def configs_delete(config: str, yes: YesOpt = False, as_json: JsonOpt = False) -> None:
    """Delete a config (legal-person card), by id or name. Asks first at a terminal, unless --yes."""
    st = state()
    config_id = resolve_config(st.client, config)
    named = config if config != config_id else config_id
    confirm(f"是否确认删除配置“{named}”？" if st.lang == "zh" else f"Delete config “{named}”?", yes)
    st.client.delete(f"/configs/{config_id}")
    if as_json:
        return output.print_json({"config_id": config_id, "deleted": True})
    out.print(f"{'已删除' if st.lang == 'zh' else 'deleted'} {named} ({config_id})", markup=False, highlight=False)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise Usage(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise Usage(f"{path}: expected a JSON object")
    return data
