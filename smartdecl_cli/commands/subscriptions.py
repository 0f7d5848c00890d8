"""`smartdecl subscriptions`: push subscriptions (e-mail, SMS, webhooks), deliveries and replay."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import output
from ..context import JsonOpt, Usage, command, state
from ..output import out
from .configs import resolve_configs

app = typer.Typer(help="Push subscriptions: e-mail, SMS, webhooks; deliveries and replay.", no_args_is_help=True)

SUBSCRIPTION_COLUMNS = ("subscription_id", "protocol", "endpoint", "event_types", "states", "digest", "quiet_hours")


@app.command("list")
@command
def subscriptions_list(as_json: JsonOpt = False) -> None:
    """The enterprise's subscriptions."""
    data = state().client.get("/subscriptions")
    if as_json:
        return output.print_json(data)
    output.table(None, SUBSCRIPTION_COLUMNS, [subscription_row(s) for s in data.get("items") or []])


def subscription_row(s: dict[str, Any]) -> tuple[Any, ...]:
    def shown(column: str) -> Any:
        value = s.get(column)
        if column == "quiet_hours":
            return f"{value['start']}-{value['end']}" if value else None
        return ",".join(value) if isinstance(value, list) else value

    return tuple(shown(c) for c in SUBSCRIPTION_COLUMNS)


@app.command("show")
@command
def subscriptions_show(subscription_id: str, as_json: JsonOpt = False) -> None:
    data = state().client.get(f"/subscriptions/{subscription_id}")
    output.print_json(data) if as_json else output.pairs(subscription_id, data)


@app.command("create")
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
        "config_ids": resolve_configs(client, config or []),
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


@app.command("delete")
@command
def subscriptions_delete(subscription_id: str, as_json: JsonOpt = False) -> None:
    """Unsubscribe (legal card)."""
    state().client.delete(f"/subscriptions/{subscription_id}")
    output.print_json({"deleted": subscription_id}) if as_json else out.print(f"deleted {subscription_id}")


@app.command("deliveries")
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


@app.command("replay")
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
