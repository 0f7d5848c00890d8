"""The seed's flow through the client openapi-python-client generates from GET /openapi.json:
enable, config, import (JSON and a workbook), mark, start, declared, log, console, tax.
Run by tests/security/test_generated_clients.py with the package `smartdecl_openapi_client` on the path."""

from __future__ import annotations

from io import BytesIO

from common import CONFIGS, TOKEN, URL, check, declarations, done, until, workbook
from smartdecl_openapi_client import AuthenticatedClient
from smartdecl_openapi_client.api.default import (
    accept_notice,
    confirm_tax,
    create_config,
    get_batch_console,
    get_declaration,
    get_declaration_log,
    get_tax_detail,
    import_declaration_file,
    import_declarations,
    list_tax_confirmations,
    mark_declarations,
    query_declarations,
    start_execution,
    stop_execution,
)
from smartdecl_openapi_client.models import (
    AcceptNotice,
    BatchConsole,
    Config,
    ConfigContent,
    Declaration,
    DeclarationPage,
    Execution,
    ImportDeclarations,
    ImportResult,
    LogPage,
    MarkResult,
    SeqNos,
    StartExecution,
    TaxDetail,
)
from smartdecl_openapi_client.models.import_declaration_file_smart_mark import ImportDeclarationFileSmartMark
from smartdecl_openapi_client.models.query_declarations_smart_mark import QueryDeclarationsSmartMark
from smartdecl_openapi_client.types import File

client = AuthenticatedClient(base_url=URL, token=TOKEN, raise_on_unexpected_status=True, timeout=60)
steps: list[str] = []


def retried(call):
    """409 state_conflict says: the declaration changed meanwhile (a batch re-checking it), retry."""
    return until("an answer other than state_conflict", lambda: _unless_conflict(call()))


def _unless_conflict(value):
    return None if getattr(value, "code", None) == "state_conflict" else value


def answer(value, kind):
    """The typed answer, or the API's error body in the failure."""
    check(isinstance(value, kind), f"expected {kind.__name__}, got {value!r}")
    return value


# enable (启用): the user notice, accepted once
answer(accept_notice.sync(client=client, body=AcceptNotice(accept_notice=True)), object)
steps.append("enable")

# config (预配置)
config_ids = [
    answer(create_config.sync(client=client, body=ConfigContent.from_dict(body)), Config).config_id for body in CONFIGS
]
steps.append("config")

# import (导入): JSON, then our workbook as a file
imported = answer(
    import_declarations.sync(client=client, body=ImportDeclarations.from_dict(declarations())), ImportResult
)
check(imported.rejected == [] and len(imported.accepted) == 3, f"JSON import: {imported.to_dict()}")
uploaded = answer(
    import_declaration_file.sync(
        client=client,
        body=File(payload=BytesIO(workbook()), file_name="declarations.xlsx"),
        smart_mark=ImportDeclarationFileSmartMark.FALSE,
    ),
    ImportResult,
)
check(uploaded.rejected == [] and uploaded.accepted, f"workbook import: {uploaded.to_dict()}")
steps.append("import")

# mark (标记): the JSON ones, found by the marking screen's query
page = answer(
    query_declarations.sync(client=client, smart_mark=QueryDeclarationsSmartMark.FALSE, page_size=50), DeclarationPage
)
unmarked = {d.seq_no for d in page.items}
check(set(imported.accepted) <= unmarked, f"the imported ones are listed unmarked: {sorted(unmarked)}")
marked = answer(mark_declarations.sync(client=client, body=SeqNos(seq_nos=list(imported.accepted))), MarkResult)
check(marked.marked == 3, f"mark: {marked.to_dict()}")
steps.append("mark")

# start (一键启动)
execution = answer(
    start_execution.sync(
        client=client, body=StartExecution.from_dict({"enterprise_type": "agent", "config_ids": config_ids})
    ),
    Execution,
)
steps.append("start")

# declared (申报成功): two go at once; the self-declared self-paid one waits for its tax
self_paid = next(
    s for s, body in zip(imported.accepted, declarations()["declarations"], strict=True) if body.get("self_pay")
)
others = [s for s in imported.accepted if s != self_paid]


def smart_status(seq_no: str) -> str:
    return str(answer(get_declaration.sync(seq_no, client=client), Declaration).smart_status)


for seq_no in others:
    until(f"{seq_no} declared", lambda s=seq_no: smart_status(s) == "succeeded")
steps.append("declared")

# log (申报记录)
log = answer(get_declaration_log.sync(others[0], client=client), LogPage)
gates = [entry.gate for entry in log.items]
check("claim" in gates and "submit" in gates, f"log: {gates}")  # the exchange channel logs after it
steps.append("log")

# console (智能申报台): the batch that declared it
batch_no = answer(get_declaration.sync(others[0], client=client), Declaration).batch_no
console = answer(get_batch_console.sync(str(batch_no), client=client), BatchConsole)
check(others[0] in {row.seq_no for row in console.declarations}, f"console: {console.to_dict()}")
steps.append("console")

# tax (税费确认): listed unconfirmed, its detail, confirmed, then declared
waiting = answer(list_tax_confirmations.sync(client=client), DeclarationPage)
check(self_paid in {d.seq_no for d in waiting.items}, f"tax list: {[d.seq_no for d in waiting.items]}")
detail = answer(get_tax_detail.sync(self_paid, client=client), TaxDetail)
check(detail.items and detail.totals.payable, f"tax detail: {detail.to_dict()}")
confirmed = answer(retried(lambda: confirm_tax.sync(self_paid, client=client)), TaxDetail)
check(str(confirmed.tax_status) == "confirmed", f"tax confirm: {confirmed.to_dict()}")
until(f"{self_paid} declared after its tax", lambda: smart_status(self_paid) == "succeeded")
steps.append("tax")

answer(stop_execution.sync(execution.execution_id, client=client), Execution)
done(steps)
