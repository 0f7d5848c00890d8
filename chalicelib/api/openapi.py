"""The OpenAPI 3.1 document of the API, generated: bodies from the pydantic models of models.py,
statuses from the routes (routing.ROUTES: who must sign in, which bodies, which limits) plus what
each operation adds (below). tests/integration/test_openapi.py checks it against app.py's routes
and tests/contract.py checks every answer of the integration tests against it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.formats.records import XLSX

from . import agent_models as am
from . import models as m
from .routing import ROUTES

REF = "#/components/schemas/{model}"
STATUS_TEXT = {
    400: "Malformed request: the body, a parameter or a field (details: the field errors)",
    401: "No token, or not a valid one",
    403: "Not allowed: the enterprise has not accepted the user notice, its codes differ from the "
    "enablement, or the action needs the legal-person card",
    404: "No such record (or not this enterprise's)",
    409: "Conflicts with the record's state (or another request with the same Idempotency-Key is running)",
    413: "The body is too large",
    415: "Unsupported Content-Type",
    422: "Well formed, but it cannot be done: the Idempotency-Key was used with another body, a goods "
    "item has no tax rates, or customs refused the declaration",
    429: "Too many requests of this kind for the enterprise in the window (Retry-After)",
    503: "Customs cannot be reached; try again later",
}


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _q(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


# path parameters whose form the API checks (anything else is a string it looks up: 404)
_PATH_FORMS = {"part_no": "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"}


def _path(name: str) -> dict:
    schema: dict[str, Any] = {"type": "string", "minLength": 1}
    if name in _PATH_FORMS:
        schema["pattern"] = _PATH_FORMS[name]
    return {"name": name, "in": "path", "required": True, "schema": schema}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Same key + same body within 24 h returns the first answer; another body: 422.",
}
STR = {"type": "string"}
# The query screens' parameters: the domain's DeclarationQuery, field by field (only these are taken).
_DATE = {
    "type": "string",
    "pattern": "^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?$",
    "description": "a date or date-time, 2000–2999; China time when no zone is given; wins over `range`",
}
_QUERY_NOTES = {
    "enterprise_type": "whose declarations: as declaring unit (default) or consignee",
    "seq_no": "exact; needs no time range",
    "entry_id": "exact; needs no time range",
    "bill_no": "exact; needs no time range",
    "consignee": "10-digit code or 18-char USCC",
    "range": "default 3months unless an exact number is given; from/to win when given too",
}


def _query_params() -> list[dict]:
    from chalicelib.domain.queries import DeclarationQuery

    properties = DeclarationQuery.model_json_schema(by_alias=True)["properties"]
    out = []
    for name, schema in properties.items():
        schema = next((s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"), schema)
        schema = {k: v for k, v in schema.items() if k not in ("title", "default")}
        if name in ("from", "to"):
            schema = _DATE
        elif schema.get("type") == "boolean":
            schema = {"enum": ["true", "false"]}
        elif schema.get("minLength"):
            schema["pattern"] = r"\S"  # surrounding spaces are stripped: blank is empty
        out.append(_q(name, schema, _QUERY_NOTES.get(name, "")))
    return out


QUERY_PARAMS = _query_params()
TAX_QUERY_PARAMS = [p for p in QUERY_PARAMS if p["name"] != "tax_status"]
DELIVERY_PARAMS = [_q("from", STR), _q("to", STR), _q("page_size", {"type": "integer", "minimum": 1, "maximum": 1000})]
FEED_PARAMS = [
    _q("after", STR, "a cursor from an earlier answer; none: from the oldest kept"),
    _q("page_size", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}),
]
UPLOAD = {
    "content": {
        XLSX: {"schema": {"type": "string", "format": "binary"}},
        "application/xml": {"schema": STR},
        "text/xml": {"schema": STR},
        # what generated clients send a file as: a workbook or a DecMessage, told apart by its bytes
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    }
}
RECEIPT_BODY = {"content": {"application/xml": {"schema": STR}, "text/xml": {"schema": STR}}}
Body = type[BaseModel] | dict | str | None  # str: a named schema of the document, or a media type


@dataclass(frozen=True)
class Op:
    """One operation: what it is for, what it takes, what it answers. The error statuses common
    to its route come from routing.ROUTES; `errors` adds the ones its use case raises."""

    summary: str
    answer: Body = None  # a model, a raw response object, or None (no body)
    status: int = 200
    body: Body = None  # a JSON body's model, or a raw requestBody
    params: tuple[dict, ...] = ()
    errors: tuple[int, ...] = ()
    extra: dict | None = None  # further responses (redirects, 304)


LEGAL, STATE = 403, 409
OPERATIONS: dict[tuple[str, str], Op] = {
    ("/health", "GET"): Op("Liveness", m.Health),
    ("/openapi.json", "GET"): Op("This document", {"type": "object"}),
    ("/console", "GET"): Op(
        "The web console (index.html; /console redirects to /console/)",
        "text/html",
        extra={"302": {"description": "to /console/"}, "304": {"description": "Not modified"}},
    ),
    ("/console/{name}", "GET"): Op(
        "One of the console's files, or config.json (how it signs in: ConsoleConfig)",
        "*/*",
        errors=(404,),
        extra={"304": {"description": "Not modified"}},
    ),
    ("/docs", "GET"): Op(
        "This document as a page, to read and try (Swagger UI; /docs redirects to /docs/)",
        "text/html",
        extra={"302": {"description": "to /docs/"}, "304": {"description": "Not modified"}},
    ),
    ("/docs/{name}", "GET"): Op(
        "One of the API page's files", "*/*", errors=(404,), extra={"304": {"description": "Not modified"}}
    ),
    ("/dev/token", "POST"): Op(
        "Local stack only: a development token for the chosen enterprise and card (404 deployed)",
        m.DevToken,
        body=m.DevTokenRequest,
        errors=(404,),
    ),
    ("/enablement", "GET"): Op("The user notice and whether the enterprise accepted it", m.Enablement),
    ("/enablement", "POST"): Op("Accept the user notice (legal-person card)", m.Enablement, body=m.AcceptNotice),
    ("/configs", "GET"): Op("List configs", m.ConfigPage),
    ("/configs", "POST"): Op(
        "Create a config (legal-person card)", m.Config, 201, body="ConfigContent", errors=(STATE,)
    ),
    ("/configs/{config_id}", "GET"): Op("One config", m.Config),
    ("/configs/{config_id}", "PUT"): Op(
        "Change a config (legal-person card)", m.Config, body="ConfigContent", errors=(STATE,)
    ),
    ("/configs/{config_id}", "PATCH"): Op(
        "Change only the fields sent (legal-person card); the result is validated whole",
        m.Config,
        body="ConfigPatch",
        errors=(STATE,),
    ),
    ("/configs/{config_id}", "DELETE"): Op("Delete a config (legal-person card)", status=204, errors=(STATE,)),
    ("/column-mappings", "GET"): Op("List the enterprise's column mappings", m.ColumnMappingPage),
    ("/column-mappings", "POST"): Op(
        "Save a column mapping (legal-person card)", m.ColumnMapping, 201, body=m.ColumnMappingContent, errors=(STATE,)
    ),
    ("/column-mappings/{mapping_id}", "GET"): Op("One column mapping", m.ColumnMapping, errors=(404,)),
    ("/column-mappings/{mapping_id}", "PUT"): Op(
        "Change a column mapping (legal-person card)",
        m.ColumnMapping,
        body=m.ColumnMappingContent,
        errors=(404, STATE),
    ),
    ("/column-mappings/{mapping_id}", "DELETE"): Op(
        "Delete a column mapping (legal-person card)", status=204, errors=(404, STATE)
    ),
    ("/parts", "GET"): Op(
        "The parts library (归类): the enterprise's part numbers, 100 a page",
        m.PartPage,
        params=(
            _q("status", {"enum": ["proposed", "approved", "refused"]}),
            _q("after", STR, "next_cursor of the previous page"),
        ),
    ),
    ("/parts", "POST"): Op("Propose a part by hand", m.Part, 201, body=m.PartValues, errors=(STATE,)),
    ("/parts/{part_no}", "GET"): Op("One part with its history", m.Part, errors=(400, 404)),
    ("/parts/{part_no}/propose", "POST"): Op(
        "Propose a part from the latest declarations naming it (goods' exg_no)", m.Part, 201, errors=(400, 404, STATE)
    ),
    ("/parts/{part_no}/approve", "POST"): Op(
        "Approve a proposed part (legal-person card)", m.Part, body=m.PartDecision, errors=(400, 404, STATE)
    ),
    ("/parts/{part_no}/refuse", "POST"): Op(
        "Refuse a proposed part (legal-person card)", m.Part, body=m.PartDecision, errors=(400, 404, STATE)
    ),
    ("/declarations", "GET"): Op(
        "Query declarations (marking and query screens)", m.DeclarationPage, params=tuple(QUERY_PARAMS)
    ),
    ("/declarations", "POST"): Op(
        "Import declarations as JSON",
        m.ImportResult,
        body=m.ImportDeclarations,
        params=(IDEMPOTENCY_KEY,),
        errors=(409, 422),
    ),
    ("/declarations/import", "POST"): Op(
        "Import an Excel workbook (ours, the Single Window's 货物申报导入模板, or a goods list read through "
        "a column mapping) or DecMessage XML",
        m.ImportResult,
        body=UPLOAD,
        errors=(404, 409, 422),
        params=(
            IDEMPOTENCY_KEY,
            _q("smart_mark", {"enum": ["true", "false"], "default": "false"}),
            _q("mapping", {"type": "string", "minLength": 1}, "a column mapping's id: the workbook is a goods list"),
        ),
    ),
    ("/declarations/mark", "POST"): Op("Add the smart mark", m.MarkResult, body=m.SeqNos),
    ("/declarations/unmark", "POST"): Op(
        "Cancel the smart mark (temp-saved and pending only)", m.UnmarkResult, body=m.SeqNos
    ),
    ("/declarations/continue", "POST"): Op(
        "Continue (继续智能辅助申报): failed declarations back into the pool", m.ContinueResult, body=m.SeqNos
    ),
    ("/declarations/{seq_no}", "GET"): Op("One declaration", m.Declaration),
    ("/declarations/{seq_no}", "PUT"): Op(
        "Replace (temp-saved, not in progress)", m.Declaration, body="DeclarationContent", errors=(STATE,)
    ),
    ("/declarations/{seq_no}", "DELETE"): Op("Delete (temp-saved, not in progress)", status=204, errors=(STATE,)),
    ("/declarations/{seq_no}/declare", "POST"): Op(
        "Declare this one now, by hand, without the smart gates (the engine then skips it)",
        m.Declaration,
        errors=(STATE, 422, 503),
    ),
    ("/declarations/{seq_no}/advisories/confirm", "POST"): Op(
        "A person confirms the advisory prompts (温馨提示) it raises", m.Declaration, errors=(STATE,)
    ),
    ("/declarations/{seq_no}/log", "GET"): Op(
        "The declaration log (申报记录): every step with time, gate, outcome, reason, who", m.LogPage
    ),
    ("/pool", "GET"): Op(
        "The pool (智能申报池): marked pending declarations the ticked configs take, in the order batches take them",
        m.PoolPage,
        params=(
            _q("enterprise_type", {"enum": ["agent", "consignee"], "default": "agent"}),
            {
                **_q(
                    "config_ids", {"type": "string", "pattern": r"\S"}, "1 to 20 distinct config ids, comma-separated"
                ),
                "required": True,
            },
        ),
        errors=(404,),
    ),
    ("/executions/{execution_id}/batches", "GET"): Op(
        "The execution's batches, newest first (batch history)", m.BatchPage
    ),
    ("/batches/{batch_no}", "GET"): Op(
        "The console of one batch (智能申报台): counts and every declaration with its result", m.BatchConsole
    ),
    ("/tax-confirmations", "GET"): Op(
        "Self-declared self-paid declarations whose tax is unconfirmed (税费确认查询)",
        m.DeclarationPage,
        params=tuple(TAX_QUERY_PARAMS),
    ),
    ("/declarations/{seq_no}/tax", "GET"): Op(
        "The computed tax detail (duty, consumption tax, VAT; the ¥50 rule)", m.TaxDetail, errors=(STATE, 422)
    ),
    ("/declarations/{seq_no}/tax/confirm", "POST"): Op(
        "Confirm the tax by hand: the engine declares it in a later batch", m.TaxDetail, errors=(STATE, 422)
    ),
    ("/subscriptions", "GET"): Op("The enterprise's subscriptions", m.SubscriptionPage),
    ("/subscriptions", "POST"): Op(
        "Subscribe an e-mail address, a mobile number (SMS) or an HTTPS webhook (legal "
        "card); a webhook's signing secret is shown this once",
        m.Subscription,
        201,
        body=m.SubscriptionContent,
    ),
    ("/subscriptions/{subscription_id}", "GET"): Op("One subscription", m.Subscription),
    ("/subscriptions/{subscription_id}", "DELETE"): Op("Unsubscribe (legal card)", status=204),
    ("/subscriptions/{subscription_id}/deliveries", "GET"): Op(
        "The webhook delivery log: every event, attempt, status code", m.DeliveryPage, params=tuple(DELIVERY_PARAMS)
    ),
    ("/subscriptions/{subscription_id}/replay", "POST"): Op(
        "Send a time window of events again (webhooks)", m.Replayed, body=m.ReplayWindow, errors=(STATE,)
    ),
    ("/s/{code}", "GET"): Op(
        "An SMS's short link: 302 to the declaration in the console (no token)", errors=(404,), status=302
    ),
    ("/customs/receipts", "POST"): Op(
        "Customs receipts in (DEC_RESULT / DecImportResponse, bare or in a DxpMsg envelope), signed: "
        "X-Receipt-Signature = sha256=<hex HMAC-SHA256 of the body>",
        m.ReceiptsResult,
        body=RECEIPT_BODY,
        params=({"name": "X-Receipt-Signature", "in": "header", "required": True, "schema": STR},),
        errors=(401,),
    ),
    ("/events", "GET"): Op(
        "The pull feed: the enterprise's events after a cursor, oldest first, kept 14 days",
        m.FeedPage,
        params=tuple(FEED_PARAMS),
    ),
    ("/declaration-fields", "GET"): Op(
        "Every field of a declaration: path, DecMessage tag, labels, form group, code table, required",
        m.DeclarationFields,
    ),
    ("/code-tables/{name}", "GET"): Op("One code table with its source and date", m.CodeTable),
    ("/executions", "GET"): Op("Executions of the enterprise, newest first", m.ExecutionPage),
    ("/executions", "POST"): Op(
        "Start: tick configs, press start once (一键启动)", m.Execution, 201, body=m.StartExecution, errors=(404, STATE)
    ),
    ("/executions/{execution_id}", "GET"): Op(
        "Live progress: current batch, counts, countdown, customs availability", m.Execution
    ),
    ("/executions/{execution_id}/stop", "POST"): Op(
        "Stop: no new batch starts; declarations in flight finish", m.Execution, errors=(STATE,)
    ),
}


# The exchange channel (docs/customs-channel.md): the agent's routes take an agent credential only.
_SEND = "/agent/outbox/{client_seq_no}/{send_no}"
FILE_BODY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
FILE_HEADERS = (
    {
        "name": "X-Smartdecl-File-Name",
        "in": "header",
        "required": True,
        "schema": STR,
        "description": "the InBox file's name, percent-encoded UTF-8",
    },
    {"name": "X-Smartdecl-File-Sha256", "in": "header", "required": True, "schema": STR},
)
OPERATIONS.update(
    {
        ("/agent/outbox", "GET"): Op(
            "The agent takes its enterprise's sends under a 5-minute lease (agent credential)",
            am.OutboxPage,
            params=(_q("max", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}),),
        ),
        (f"{_SEND}/written", "POST"): Op(
            "The agent wrote the send's file into the client's OutBox (repeating it answers the same)",
            am.SendAnswer,
            body=am.Written,
            errors=(STATE,),
        ),
        (f"{_SEND}/events", "POST"): Op(
            "What the client did with a file: sent, send_failed (the next try follows), gave_up",
            am.SendAnswer,
            body=am.SendEvent,
        ),
        ("/agent/inbox", "POST"): Op(
            "A file the client wrote into InBox, whole: read, matched within the enterprise, applied once",
            am.InboxResult,
            body=FILE_BODY,
            params=FILE_HEADERS,
            errors=(422,),
        ),
        ("/agent/heartbeat", "POST"): Op(
            "The agent is alive, and how the client's folders look (every 30 s)", am.HeartbeatAnswer, body=am.Heartbeat
        ),
        ("/agent-credentials", "POST"): Op(
            "A new agent credential (legal card); its key is shown this once",
            am.AgentCredential,
            201,
            body=am.NewCredential,
        ),
        ("/agent-credentials", "GET"): Op(
            "The enterprise's agent credentials with their last contact", am.AgentCredentialPage
        ),
        ("/agent-credentials/{credential_id}", "DELETE"): Op("Revoke an agent credential (legal card)", status=204),
        ("/customs/channel", "GET"): Op(
            "报文客户端状态: the channel, the agent, the Single Window client, the outbox", am.CustomsChannel
        ),
    }
)

# Names generated clients give the operations (their functions and methods).
OPERATION_IDS: dict[tuple[str, str], str] = {
    ("/health", "GET"): "get_health",
    ("/openapi.json", "GET"): "get_openapi",
    ("/console", "GET"): "get_console",
    ("/console/{name}", "GET"): "get_console_file",
    ("/dev/token", "POST"): "issue_dev_token",
    ("/enablement", "GET"): "get_enablement",
    ("/enablement", "POST"): "accept_notice",
    ("/configs", "GET"): "list_configs",
    ("/configs", "POST"): "create_config",
    ("/configs/{config_id}", "GET"): "get_config",
    ("/configs/{config_id}", "PUT"): "replace_config",
    ("/configs/{config_id}", "PATCH"): "update_config",
    ("/configs/{config_id}", "DELETE"): "delete_config",
    ("/declarations", "GET"): "query_declarations",
    ("/declarations", "POST"): "import_declarations",
    ("/declarations/import", "POST"): "import_declaration_file",
    ("/parts", "GET"): "list_parts",
    ("/parts", "POST"): "propose_part",
    ("/parts/{part_no}", "GET"): "get_part",
    ("/parts/{part_no}/propose", "POST"): "propose_part_from_declarations",
    ("/parts/{part_no}/approve", "POST"): "approve_part",
    ("/parts/{part_no}/refuse", "POST"): "refuse_part",
    ("/column-mappings", "GET"): "list_column_mappings",
    ("/column-mappings", "POST"): "create_column_mapping",
    ("/column-mappings/{mapping_id}", "GET"): "get_column_mapping",
    ("/column-mappings/{mapping_id}", "PUT"): "replace_column_mapping",
    ("/column-mappings/{mapping_id}", "DELETE"): "delete_column_mapping",
    ("/declarations/mark", "POST"): "mark_declarations",
    ("/declarations/unmark", "POST"): "unmark_declarations",
    ("/declarations/continue", "POST"): "continue_declarations",
    ("/declarations/{seq_no}", "GET"): "get_declaration",
    ("/declarations/{seq_no}", "PUT"): "replace_declaration",
    ("/declarations/{seq_no}", "DELETE"): "delete_declaration",
    ("/declarations/{seq_no}/declare", "POST"): "declare_by_hand",
    ("/declarations/{seq_no}/advisories/confirm", "POST"): "confirm_advisories",
    ("/declarations/{seq_no}/log", "GET"): "get_declaration_log",
    ("/batches/{batch_no}", "GET"): "get_batch_console",
    ("/tax-confirmations", "GET"): "list_tax_confirmations",
    ("/declarations/{seq_no}/tax", "GET"): "get_tax_detail",
    ("/declarations/{seq_no}/tax/confirm", "POST"): "confirm_tax",
    ("/subscriptions", "GET"): "list_subscriptions",
    ("/subscriptions", "POST"): "create_subscription",
    ("/subscriptions/{subscription_id}", "GET"): "get_subscription",
    ("/subscriptions/{subscription_id}", "DELETE"): "delete_subscription",
    ("/subscriptions/{subscription_id}/deliveries", "GET"): "list_deliveries",
    ("/subscriptions/{subscription_id}/replay", "POST"): "replay_events",
    ("/s/{code}", "GET"): "follow_short_link",
    ("/customs/receipts", "POST"): "receive_customs_receipts",
    ("/events", "GET"): "list_events",
    ("/executions", "GET"): "list_executions",
    ("/executions", "POST"): "start_execution",
    ("/executions/{execution_id}", "GET"): "get_execution",
    ("/executions/{execution_id}/stop", "POST"): "stop_execution",
    ("/docs", "GET"): "get_docs",
    ("/docs/{name}", "GET"): "get_docs_file",
    ("/pool", "GET"): "get_pool",
    ("/executions/{execution_id}/batches", "GET"): "list_execution_batches",
    ("/declaration-fields", "GET"): "list_declaration_fields",
    ("/code-tables/{name}", "GET"): "get_code_table",
    ("/agent/outbox", "GET"): "take_outbox_sends",
    ("/agent/outbox/{client_seq_no}/{send_no}/written", "POST"): "report_send_written",
    ("/agent/outbox/{client_seq_no}/{send_no}/events", "POST"): "report_send_event",
    ("/agent/inbox", "POST"): "hand_in_inbox_file",
    ("/agent/heartbeat", "POST"): "agent_heartbeat",
    ("/agent-credentials", "POST"): "create_agent_credential",
    ("/agent-credentials", "GET"): "list_agent_credentials",
    ("/agent-credentials/{credential_id}", "DELETE"): "revoke_agent_credential",
    ("/customs/channel", "GET"): "get_customs_channel",
}


def _statuses(path: str, method: str, op: Op) -> set[int]:
    """Every error status the operation can answer: its route's, then its use case's."""
    route = ROUTES[(path, method)]
    found = set(op.errors)
    if route.auth:
        found |= {401, 403}  # no or a bad token; not enabled, codes that differ, or the legal card needed
    if "{" in path:
        found.add(404)  # no such record (any id longer than MAX_ID_LENGTH included)
    if op.body is not None:
        found |= {400, 413, 415}
    if op.params and any(p["in"] == "query" for p in op.params):
        found.add(400)
    if route.limit:
        found.add(429)
    return found


def _operation(path: str, method: str, op: Op, schemas: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": OPERATION_IDS[(path, method)], "summary": op.summary}
    if not ROUTES[(path, method)].auth:
        out["security"] = []
    if op.params:
        out["parameters"] = list(op.params)
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            **(
                op.body
                if isinstance(op.body, dict)
                else _json(_ref(op.body if isinstance(op.body, str) else _name(op.body, schemas, "Input")))
            ),
        }
    answer: dict[str, Any] = {"description": op.summary.split(":")[0]}
    if isinstance(op.answer, str):
        answer["content"] = {op.answer: {"schema": STR}}
    elif isinstance(op.answer, dict):
        answer.update(_json(op.answer))
    elif op.answer is not None:
        answer.update(_json(_ref(_name(op.answer, schemas, "Output"))))
    responses: dict[str, Any] = {str(op.status): answer, **(op.extra or {})}
    for status in sorted(_statuses(path, method, op)):
        responses[str(status)] = {"description": STATUS_TEXT[status], **_json(_ref("Error"))}
    out["responses"] = responses
    return out


def _name(model: type[BaseModel], schemas: dict[str, Any], side: str) -> str:
    # pydantic names a model used both ways, whose schemas differ, Name-Input / Name-Output
    return model.__name__ if model.__name__ in schemas else f"{model.__name__}-{side}"


def _for_generated_clients(name: str, schema: dict[str, Any]) -> None:
    """The same rules, in forms the client generators build (issue #24: openapi-python-client and
    openapi-generator's Python client ran on the document before these, and failed)."""
    if name.endswith(("-Input", "-Output")):
        # pydantic titles both sides alike ("Container"); clients name their classes by title, and
        # openapi-python-client refuses two models of one name: one title per schema
        schema["title"] = name.replace("-", "")
    if "allOf" in schema and all("if" in rule for rule in schema["allOf"]):
        # Cross-field rules (if ie_flag is I then seq_no starts with I …). A model-level allOf reads as
        # composition to openapi-generator, which then makes models of the nullable fields that it
        # cannot build; under an `if` that always holds, the rules mean the same and it skips them.
        schema["if"], schema["then"] = {}, {"allOf": schema.pop("allOf")}


@cache
def document() -> dict[str, Any]:
    from . import blueprints  # noqa: F401 - importing them fills ROUTES

    pairs: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        *((model, "validation") for model in (*m.REQUESTS, *am.REQUESTS)),
        *((model, "serialization") for model in (*m.RESPONSES, *am.RESPONSES)),
    ]
    _, defs = models_json_schema(pairs, ref_template=REF)
    schemas = dict(defs["$defs"])
    for name, schema in schemas.items():
        _for_generated_clients(name, schema)
    config = schemas[_name(m.ConfigContent, schemas, "Input")]
    # every field of ConfigContent, none required; the merged result is validated as ConfigContent
    schemas["ConfigPatch"] = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": dict(config["properties"]),
        # the rules between fields, for the fields sent together (with the stored ones: 409); under an
        # always-true if, as ConfigContent's: a model-level allOf reads as composition to generators
        "if": {},
        "then": {
            "allOf": [
                {
                    "if": {"properties": {"effective_by": {"const": "user"}}, "required": ["effective_by"]},
                    "then": {"properties": {"operator_cards": {"minItems": 1}}},
                },
                {
                    "if": {"properties": {"effective_by": {"const": "enterprise"}}, "required": ["effective_by"]},
                    "then": {"properties": {"agent": {"type": "object"}}},
                },
            ]
        },
    }
    schemas.setdefault("ConfigContent", config)
    schemas.setdefault("DeclarationContent", schemas[_name(m.DeclarationContent, schemas, "Input")])
    paths: dict[str, dict[str, Any]] = {}
    for (path, method), op in OPERATIONS.items():
        item = paths.setdefault(path, {})
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        if names:
            item["parameters"] = [_path(name) for name in names]
        item[method.lower()] = _operation(path, method, op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Smart assisted declaration (智能辅助申报)",
            "version": "0.1.0",
            "description": "Every route but /health, /openapi.json, the console's and the API page's (/docs) files, "
            "the SMS short links "
            "and the customs receipts needs `Authorization: Bearer <JWT>`; the agent's routes (/agent/…) "
            "need `Authorization: Bearer sdag_<credential_id>.<secret>` (an agent credential) instead. Errors are "
            "{code, message_zh, message_en, details}. Generated from the models "
            "(chalicelib/api/models.py) and the routes.",
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
