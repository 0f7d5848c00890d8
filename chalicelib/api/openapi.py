"""The OpenAPI 3.1 document of the API. Schemas come from the pydantic models, so they cannot drift;
tests/integration/test_openapi.py fails when a route and this document disagree."""
from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from chalicelib.domain.configs import ConfigContent
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.subscriptions import SubscriptionContent
from chalicelib.services.import_declarations import XLSX

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict | None = None, status: str = "200") -> dict:
    body = {"description": description}
    if schema:
        body.update(_json(schema))
    return {status: body, "default": {"description": "Error", **_json(_ref("Error"))}}


def _q(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
                   "description": "Same key + same body within 24 h returns the first answer; another body: 422."}
STR = {"type": "string"}
QUERY_PARAMS = [
    _q("enterprise_type", {"enum": ["agent", "consignee"]}, "whose declarations: as declaring unit (default) or consignee"),
    _q("declaration_type", STR), _q("ie_flag", {"enum": ["I", "E"]}), _q("declare_customs", STR),
    _q("smart_mark", {"enum": ["true", "false"]}), _q("status", STR),
    _q("smart_status", {"enum": ["pending", "in_progress", "succeeded", "failed"]}),
    _q("seq_no", STR, "exact; needs no time range"), _q("entry_id", STR, "exact; needs no time range"),
    _q("bill_no", STR, "exact; needs no time range"), _q("consignee", STR, "10-digit code or 18-char USCC"),
    _q("transport_mode", STR), _q("card_no", STR), _q("batch_no", STR), _q("config_name", STR),
    _q("tax_status", {"enum": ["not_required", "unconfirmed", "confirmed"]}),
    _q("from", {"type": "string", "format": "date-time"}, "China time when no zone is given"),
    _q("to", {"type": "string", "format": "date-time"}),
    _q("range", {"enum": ["today", "week", "month", "3months"]}, "default 3months unless an exact number is given"),
    _q("page_size", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}), _q("cursor", STR),
]


@cache
def document() -> dict[str, Any]:
    _, defs = models_json_schema([(DeclarationContent, "validation"), (ConfigContent, "validation"),
                                  (SubscriptionContent, "validation")], ref_template=REF)
    schemas = dict(defs["$defs"])
    schemas.update({
        "Error": {"type": "object", "required": ["code", "message_zh", "message_en"], "properties": {
            "code": STR, "message_zh": STR, "message_en": STR, "details": {}}},
        "Declaration": {"allOf": [_ref("DeclarationContent"), {"type": "object", "properties": {
            "status": STR, "smart_mark": {"type": "boolean"}, "smart_status": STR, "waiting_reason": STR,
            "tax_status": STR, "entry_id": STR, "batch_no": STR, "created_at": STR, "updated_at": STR}}]},
        "Subscription": {"allOf": [_ref("SubscriptionContent"), {"type": "object", "properties": {
            "subscription_id": STR, "ent_code": STR, "created_at": STR, "created_by": STR,
            "secret": {"type": "string", "description": "webhooks: the HMAC key, in the create answer only"}}}]},
        # every field of ConfigContent, none required; the merged result is validated as ConfigContent
        "ConfigPatch": {"type": "object", "minProperties": 1, "additionalProperties": False,
                        "properties": dict(defs["$defs"]["ConfigContent"]["properties"])},
        "Config": {"allOf": [_ref("ConfigContent"), {"type": "object", "properties": {
            "config_id": STR, "created_by": STR, "created_at": STR, "updated_at": STR}}]},
        "ImportResult": {"type": "object", "properties": {
            "accepted": {"type": "array", "items": STR},
            "rejected": {"type": "array", "items": {"type": "object", "properties": {
                "index": {"type": "integer"}, "seq_no": STR, "source": STR,
                "errors": {"type": "array", "items": {"type": "object", "properties": {
                    "field": STR, "message_zh": STR, "message_en": STR}}}}}}}},
        "SeqNos": {"type": "object", "required": ["seq_nos"], "additionalProperties": False,
                   "properties": {"seq_nos": {"type": "array", "items": STR, "minItems": 1, "maxItems": 500}}},
        "MarkResult": {"type": "object", "properties": {
            "marked": {"type": "integer"}, "unmarked": {"type": "integer"}, "message_zh": STR, "message_en": STR,
            "refused": {"type": "array", "items": {"type": "object"}}}},
        "Execution": {"type": "object", "properties": {
            "execution_id": STR, "status": {"enum": ["running", "stopped"]}, "enterprise_type": STR,
            "config_ids": {"type": "array", "items": STR}, "current_batch_no": STR,
            "batch_index": {"type": "integer"}, "batch_succeeded": {"type": "integer"},
            "batch_failed": {"type": "integer"}, "batches_total": {"type": "integer"},
            "total_succeeded": {"type": "integer"}, "total_failed": {"type": "integer"},
            "progress_percent": {"type": "integer"}, "next_batch_at": STR,
            "countdown_seconds": {"type": ["integer", "null"]}, "customs_available": {"type": "boolean"}}},
        "StartExecution": {"type": "object", "required": ["enterprise_type", "config_ids"],
                           "additionalProperties": False, "properties": {
                               "enterprise_type": {"enum": ["agent", "consignee"]},
                               "config_ids": {"type": "array", "items": STR, "minItems": 1, "maxItems": 20}}},
        "LogEntry": {"type": "object", "properties": {
            "at": STR, "gate": STR, "outcome": STR, "reason_zh": STR, "reason_en": STR, "who": STR,
            "batch_no": STR, "details": {}}},
        "FeedPage": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "cursor": STR, "event": {"type": "object", "description": "the webhook body (docs/webhooks.md)"}}}},
            "next_cursor": {"type": ["string", "null"], "description": "pass as `after`; the same again when nothing is new"},
            "has_more": {"type": "boolean"}}},
        "Enablement": {"type": "object", "properties": {
            "ent_code": STR, "enabled": {"type": "boolean"}, "accepted_by": STR, "accepted_at": STR,
            "notice": {"type": "object"}}},
    })

    def page(item: str) -> dict:
        return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(item)},
                                                 "total": {"type": "integer"}, "next_cursor": STR}}

    paths = {
        "/health": {"get": {"summary": "Liveness", "security": [], "responses": _ok("OK")}},
        "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": _ok("OK")}},
        "/console": {"get": {"summary": "The web console (index.html; /console redirects to /console/)",
                             "security": [], "responses": _ok("The console's page")}},
        "/console/{name}": {"get": {"summary": "One of the console's files, or config.json (how it signs in)",
                                    "security": [], "parameters": [_path("name")], "responses": _ok("A file")}},
        "/dev/token": {"post": {
            "summary": "Local stack only: a development token for the chosen enterprise and card (404 deployed)",
            "security": [],
            "requestBody": _json({"type": "object", "required": ["ent_code", "role", "card_no"], "properties": {
                "ent_code": STR, "ent_uscc": STR, "role": {"type": "string", "enum": ["legal", "operator"]},
                "card_no": STR}}),
            "responses": _ok("A token: {id_token, token_type, expires_in}")}},
        "/enablement": {
            "get": {"summary": "The user notice and whether the enterprise accepted it",
                    "responses": _ok("Enablement", _ref("Enablement"))},
            "post": {"summary": "Accept the user notice (legal-person card)",
                     "requestBody": _json({"type": "object", "required": ["accept_notice"],
                                           "properties": {"accept_notice": {"const": True}}}),
                     "responses": _ok("Enabled", _ref("Enablement"))}},
        "/configs": {
            "get": {"summary": "List configs", "responses": _ok("Configs", page("Config"))},
            "post": {"summary": "Create a config (legal-person card)", "requestBody": _json(_ref("ConfigContent")),
                     "responses": _ok("Created", _ref("Config"), "201")}},
        "/configs/{config_id}": {
            "parameters": [_path("config_id")],
            "get": {"summary": "One config", "responses": _ok("Config", _ref("Config"))},
            "put": {"summary": "Change a config (legal-person card)", "requestBody": _json(_ref("ConfigContent")),
                    "responses": _ok("Changed", _ref("Config"))},
            "patch": {"summary": "Change only the fields sent (legal-person card); the result is validated whole",
                      "requestBody": _json(_ref("ConfigPatch")),
                      "responses": _ok("Changed", _ref("Config"))},
            "delete": {"summary": "Delete a config (legal-person card)",
                       "responses": {"204": {"description": "Deleted"}}}},
        "/declarations": {
            "get": {"summary": "Query declarations (marking and query screens)", "parameters": QUERY_PARAMS,
                    "responses": _ok("A page", page("Declaration"))},
            "post": {"summary": "Import declarations as JSON", "parameters": [IDEMPOTENCY_KEY],
                     "requestBody": _json({"type": "object", "required": ["declarations"], "properties": {
                         "declarations": {"type": "array", "items": _ref("DeclarationContent")},
                         "smart_mark": {"type": "boolean", "default": False}}}),
                     "responses": _ok("Accepted and rejected records", _ref("ImportResult"))}},
        "/declarations/import": {"post": {
            "summary": "Import an Excel workbook or DecMessage XML",
            "parameters": [IDEMPOTENCY_KEY, _q("smart_mark", {"enum": ["true", "false"], "default": "false"})],
            "requestBody": {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}},
                                        "application/xml": {"schema": STR}, "text/xml": {"schema": STR}}},
            "responses": _ok("Accepted and rejected records", _ref("ImportResult"))}},
        "/declarations/mark": {"post": {"summary": "Add the smart mark", "requestBody": _json(_ref("SeqNos")),
                                        "responses": _ok("Result", _ref("MarkResult"))}},
        "/declarations/unmark": {"post": {"summary": "Cancel the smart mark (temp-saved and pending only)",
                                          "requestBody": _json(_ref("SeqNos")),
                                          "responses": _ok("Result", _ref("MarkResult"))}},
        "/declarations/{seq_no}": {
            "parameters": [_path("seq_no")],
            "get": {"summary": "One declaration", "responses": _ok("Declaration", _ref("Declaration"))},
            "put": {"summary": "Replace (temp-saved, not in progress)", "requestBody": _json(_ref("DeclarationContent")),
                    "responses": _ok("Replaced", _ref("Declaration"))},
            "delete": {"summary": "Delete (temp-saved, not in progress)",
                       "responses": {"204": {"description": "Deleted"}}}},
        "/declarations/{seq_no}/declare": {"parameters": [_path("seq_no")], "post": {
            "summary": "Declare this one now, by hand, without the smart gates (the engine then skips it)",
            "responses": _ok("Declared", _ref("Declaration"))}},
        "/declarations/{seq_no}/advisories/confirm": {"parameters": [_path("seq_no")], "post": {
            "summary": "A person confirms the advisory prompts (温馨提示) it raises",
            "responses": _ok("Confirmed", _ref("Declaration"))}},
        "/declarations/{seq_no}/log": {"parameters": [_path("seq_no")], "get": {
            "summary": "The declaration log (申报记录): every step with time, gate, outcome, reason, who",
            "responses": _ok("The log", page("LogEntry"))}},
        "/batches/{batch_no}": {"parameters": [_path("batch_no")], "get": {
            "summary": "The console of one batch (智能申报台): counts and every declaration with its result",
            "responses": _ok("Console", {"type": "object"})}},
        "/declarations/continue": {"post": {
            "summary": "Continue (继续智能辅助申报): failed declarations back into the pool",
            "requestBody": _json(_ref("SeqNos")), "responses": _ok("Result", _ref("MarkResult"))}},
        "/tax-confirmations": {"get": {
            "summary": "Self-declared self-paid declarations whose tax is unconfirmed (税费确认查询)",
            "parameters": [p for p in QUERY_PARAMS if p["name"] != "tax_status"],
            "responses": _ok("A page", page("Declaration"))}},
        "/declarations/{seq_no}/tax": {"parameters": [_path("seq_no")], "get": {
            "summary": "The computed tax detail (duty, consumption tax, VAT; the ¥50 rule)",
            "responses": _ok("Tax detail (shared/examples/tax-detail.json)", {"type": "object"})}},
        "/declarations/{seq_no}/tax/confirm": {"parameters": [_path("seq_no")], "post": {
            "summary": "Confirm the tax by hand: the engine declares it in a later batch",
            "responses": _ok("Confirmed tax detail", {"type": "object"})}},
        "/subscriptions": {
            "get": {"summary": "The enterprise's subscriptions", "responses": _ok("Subscriptions", page("Subscription"))},
            "post": {"summary": "Subscribe an e-mail address, a mobile number (SMS) or an HTTPS webhook (legal card)",
                     "requestBody": _json(_ref("SubscriptionContent")),
                     "responses": _ok("Subscribed; a webhook's signing secret is shown this once",
                                      _ref("Subscription"), "201")}},
        "/subscriptions/{subscription_id}": {
            "parameters": [_path("subscription_id")],
            "get": {"summary": "One subscription", "responses": _ok("Subscription", _ref("Subscription"))},
            "delete": {"summary": "Unsubscribe (legal card)", "responses": {"204": {"description": "Deleted"}}}},
        "/subscriptions/{subscription_id}/deliveries": {"parameters": [_path("subscription_id")], "get": {
            "summary": "The webhook delivery log: every event, attempt, status code", "parameters": [
                _q("from", STR), _q("to", STR), _q("page_size", {"type": "integer"})],
            "responses": _ok("Deliveries", {"type": "object"})}},
        "/subscriptions/{subscription_id}/replay": {"parameters": [_path("subscription_id")], "post": {
            "summary": "Send a time window of events again", "requestBody": _json({
                "type": "object", "required": ["from", "to"], "properties": {"from": STR, "to": STR}}),
            "responses": _ok("How many were sent again", {"type": "object"})}},
        "/s/{code}": {"parameters": [_path("code")], "get": {
            "summary": "An SMS's short link: 302 to the declaration in the console (no token)", "security": [],
            "responses": {"302": {"description": "Location: <ConsoleUrl>/console/#/declarations/<seq_no>"},
                          "404": {"description": "No such link"}}}},
        "/customs/receipts": {"post": {
            "summary": "Customs receipts in (DEC_RESULT / DecImportResponse, bare or in a DxpMsg envelope)",
            "security": [], "parameters": [{"name": "X-Receipt-Signature", "in": "header", "required": True,
                                            "schema": STR, "description": "sha256=<hex HMAC-SHA256 of the body>"}],
            "requestBody": {"content": {"application/xml": {"schema": STR}}},
            "responses": _ok("Received, applied, duplicates, unmatched", {"type": "object"})}},
        "/events": {"get": {
            "summary": "The pull feed: the enterprise's events after a cursor, oldest first, kept 14 days",
            "parameters": [_q("after", STR, "a cursor from an earlier answer; none: from the oldest kept"),
                           _q("page_size", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100})],
            "responses": _ok("A page of events", _ref("FeedPage"))}},
        "/executions": {
            "get": {"summary": "Executions of the enterprise, newest first", "responses": _ok("Executions", page("Execution"))},
            "post": {"summary": "Start: tick configs, press start once (一键启动)", "requestBody": _json(_ref("StartExecution")),
                     "responses": _ok("Started", _ref("Execution"), "201")}},
        "/executions/{execution_id}": {"parameters": [_path("execution_id")], "get": {
            "summary": "Live progress: current batch, counts, countdown, customs availability",
            "responses": _ok("Execution", _ref("Execution"))}},
        "/executions/{execution_id}/stop": {"parameters": [_path("execution_id")], "post": {
            "summary": "Stop: no new batch starts; declarations in flight finish",
            "responses": _ok("Stopped", _ref("Execution"))}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Smart assisted declaration (智能辅助申报)", "version": "0.1.0",
                 "description": "Every route but /health and /openapi.json needs `Authorization: Bearer <JWT>`. "
                                "Errors are {code, message_zh, message_en, details}."},
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }
