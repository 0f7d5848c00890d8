"""The seed's flow through the Python client openapi-generator makes from GET /openapi.json:
enable, config, import (JSON and a workbook), mark, start, declared, log, console, tax.
Run by tests/security/test_generated_clients.py with the package `smartdecl_generated` on the path."""

from __future__ import annotations

from common import CONFIGS, TOKEN, URL, check, declarations, done, until, workbook
from smartdecl_generated import (
    AcceptNotice,
    ApiClient,
    ConfigContent,
    Configuration,
    DefaultApi,
    ImportDeclarations,
    SeqNos,
    StartExecution,
)
from smartdecl_generated.exceptions import ConflictException

api = DefaultApi(ApiClient(Configuration(host=URL, access_token=TOKEN)))


def retried(call):
    """409 state_conflict says: the declaration changed meanwhile (a batch re-checking it), retry."""

    def once():
        try:
            return call()
        except ConflictException as exc:
            if "state_conflict" not in str(exc.body):
                raise
            return None

    return until("an answer other than state_conflict", once)


steps: list[str] = []

# enable (启用): the user notice, accepted once
api.accept_notice(AcceptNotice(accept_notice=True))
steps.append("enable")

# config (预配置)
config_ids = [api.create_config(ConfigContent.from_dict(body)).config_id for body in CONFIGS]
steps.append("config")

# import (导入): JSON, then our workbook as a file
imported = api.import_declarations(ImportDeclarations.from_dict(declarations()))
check(imported.rejected == [] and len(imported.accepted) == 3, f"JSON import: {imported.to_dict()}")
uploaded = api.import_declaration_file(workbook(), smart_mark="false", _content_type="application/octet-stream")
check(uploaded.rejected == [] and uploaded.accepted, f"workbook import: {uploaded.to_dict()}")
steps.append("import")

# mark (标记): the JSON ones, found by the marking screen's query
unmarked = {d.seq_no for d in api.query_declarations(smart_mark="false", page_size=50).items}
check(set(imported.accepted) <= unmarked, f"the imported ones are listed unmarked: {sorted(unmarked)}")
marked = api.mark_declarations(SeqNos(seq_nos=list(imported.accepted)))
check(marked.marked == 3, f"mark: {marked.to_dict()}")
steps.append("mark")

# start (一键启动)
execution = api.start_execution(StartExecution.from_dict({"enterprise_type": "agent", "config_ids": config_ids}))
steps.append("start")

# declared (申报成功): two go at once; the self-declared self-paid one waits for its tax
self_paid = next(
    s for s, body in zip(imported.accepted, declarations()["declarations"], strict=True) if body.get("self_pay")
)
others = [s for s in imported.accepted if s != self_paid]


def smart_status(seq_no: str) -> str:
    return str(api.get_declaration(seq_no).smart_status)


for seq_no in others:
    until(f"{seq_no} declared", lambda s=seq_no: smart_status(s) == "succeeded")
steps.append("declared")

# log (申报记录)
gates = [entry.gate for entry in api.get_declaration_log(others[0]).items]
check("claim" in gates and "submit" in gates, f"log: {gates}")  # the exchange channel logs after it
steps.append("log")

# console (智能申报台): the batch that declared it
console = api.get_batch_console(str(api.get_declaration(others[0]).batch_no))
check(others[0] in {row.seq_no for row in console.declarations}, f"console: {console.to_dict()}")
steps.append("console")

# tax (税费确认): listed unconfirmed, its detail, confirmed, then declared
waiting = api.list_tax_confirmations()
check(self_paid in {d.seq_no for d in waiting.items}, f"tax list: {[d.seq_no for d in waiting.items]}")
detail = api.get_tax_detail(self_paid)
check(bool(detail.items) and bool(detail.totals.payable), f"tax detail: {detail.to_dict()}")
check(retried(lambda: api.confirm_tax(self_paid)).tax_status == "confirmed", "tax confirmed")
until(f"{self_paid} declared after its tax", lambda: smart_status(self_paid) == "succeeded")
steps.append("tax")

api.stop_execution(execution.execution_id)
done(steps)
