"""Every body the API takes or answers, one pydantic model per shape: the contract.

The OpenAPI document (openapi.py) is generated from these models and the routes; the tests check
every answer against it (tests/contract.py). Declarations, configs and subscriptions extend their
domain content models, so their fields are written once. Answers forbid unknown keys: a key the
API starts sending shows up as a failing test until it is added here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, WithJsonSchema

from chalicelib.domain.configs import ConfigContent
from chalicelib.domain.declaration import DeclarationContent, DeclarationView, Timestamp
from chalicelib.domain.subscription_content import SubscriptionContent
from chalicelib.services.marking import MAX_SEQ_NOS

MAX_IMPORT_RECORDS = 500  # Settings.max_import_records' default
CARD_FORM = r"^[0-9A-Za-z]{1,32}$"


# A list answered whole still says so in the paging field every list has. Typed string-or-null, not
# null alone: a field of type "null" is a type generated clients cannot declare (openapi-generator
# stops on it).
OnePage = Annotated[str | None, Field(description="always null: every item is in this one page")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- errors ----------------------------------------------------------------------------------


class Error(_Body):
    """Every refusal: a code, both languages, and details (field errors, the key not found, …)."""

    code: str
    message_zh: str
    message_en: str
    details: Any = None


class FieldProblem(_Body):
    field: str
    message_zh: str
    message_en: str


# ---- small answers ---------------------------------------------------------------------------


class Health(_Body):
    status: Literal["ok"]
    service: str


class ConsoleConfig(_Body):
    """How the console signs in: local (development tokens), OIDC, or unconfigured."""

    sign_in: Literal["local", "oidc", "unconfigured"]
    manual_url: str | None = None  # the clerks' manual the enablement screen links to (SMARTDECL_MANUAL_URL)
    dev_token_path: str | None = None
    client_id: str | None = None
    scopes: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    logout_url: str | None = None


class DevTokenRequest(_Body):
    ent_code: str = Field(pattern=r"^[0-9A-Z]{10}$")
    ent_uscc: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")
    role: Literal["legal", "operator"]
    card_no: str = Field(pattern=CARD_FORM)


class DevToken(_Body):
    id_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class Notice(_Body):
    version: str
    text_zh: str
    text_en: str


class AcceptNotice(_Body):
    # true only; said as "a boolean that is not false": openapi-generator's Python client reads a
    # boolean `const` as the string "true" and then refuses True
    accept_notice: Annotated[Literal[True], WithJsonSchema({"type": "boolean", "not": {"const": False}})]


class Enablement(_Body):
    ent_code: str
    enabled: bool
    accepted_by: str | None
    accepted_at: Timestamp | None
    notice_version: str | None
    notice: Notice


# ---- configs ---------------------------------------------------------------------------------


class Config(ConfigContent):
    """A stored config: its content, its id and who made it when."""

    config_id: str
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp


class ConfigPage(_Body):
    items: list[Config]
    total: int
    next_cursor: OnePage = None


# ---- column mappings (chalicelib/domain/column_mapping.py checks them) ------------------------


def _mappable_fields() -> list[JsonValue]:
    from chalicelib.domain.column_mapping import mappable
    from chalicelib.domain.declaration_fields import by_path

    fields: list[JsonValue] = [path for path in sorted(by_path()) if mappable(path)]
    return fields


class MappedColumn(_Body):
    """One field read from one column of a customer's goods list: by its letter or its header text."""

    # exactly one of column and header, under an always-true if (a model-level oneOf reads as
    # composition to openapi-generator)
    model_config = ConfigDict(
        json_schema_extra={
            "if": {},
            "then": {
                "oneOf": [
                    {"required": ["column"], "properties": {"column": {"type": "string"}}},
                    {"required": ["header"], "properties": {"header": {"type": "string"}}},
                ]
            },
        }
    )

    field: str = Field(
        description="a head field (bill_no, consignee.uscc) or a goods field (goods[].code_ts)",
        json_schema_extra=lambda schema: schema.update(enum=_mappable_fields()),
    )
    column: Annotated[str, StringConstraints(pattern="^[A-Za-z]{1,3}$")] | None = Field(
        None, description="the column's letter; or give header"
    )
    header: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")] | None = Field(
        None, description="the text of the column's header cell; or give column"
    )


class ColumnMappingContent(_Body):
    """How a customer's goods list becomes declarations: the sheet, the header row, each field's
    column, and the head values every declaration of the list takes."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"\S")]
    sheet: Annotated[str, StringConstraints(min_length=1, max_length=31, pattern=r"\S")] | None = Field(
        None, description="null: the first sheet"
    )
    header_row: int = Field(1, ge=1, le=100, description="the row of the column headers; data below it")
    columns: list[MappedColumn] = Field(
        min_length=1,
        max_length=120,
        description="at least one goods field; each field and each column once",
        json_schema_extra={"contains": {"properties": {"field": {"pattern": r"^goods\[\]\."}}, "required": ["field"]}},
    )
    defaults: dict[str, Annotated[str, StringConstraints(max_length=200)] | int | float | bool] = Field(
        default_factory=dict,
        description="head field → the value every declaration of the list takes",
        json_schema_extra=lambda schema: schema.update(propertyNames={"enum": _mappable_fields()}),
    )


class ColumnMapping(ColumnMappingContent):
    """A stored column mapping: its content, its id and who made it when."""

    mapping_id: str
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class ColumnMappingPage(_Body):
    items: list[ColumnMapping]
    total: int
    next_cursor: OnePage = None


# ---- the parts library (归类, chalicelib/domain/parts.py) --------------------------------------

PartNo = Annotated[str, StringConstraints(pattern="^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]


class PartValues(_Body):
    """A part proposed by hand: its number and the goods fields it fills."""

    part_no: PartNo
    # what domain/parts.check takes, said as patterns (the HS 2022 subheading is the code table's)
    code_ts: Annotated[str, StringConstraints(pattern=r"^\s*[0-9]{10}\s*$")]
    g_name: Annotated[str, StringConstraints(pattern=r"\S")]
    g_model: Annotated[str, StringConstraints(pattern=r"^\s*([0-4]\s*(\|[\s\S]*)?)?$")] | None = Field(
        None, description="规格型号: its first element, 品牌类型, is 0-4"
    )
    unit: str | None = None
    first_unit: str | None = None
    second_unit: str | None = None


class PartEvent(_Body):
    action: Literal["proposed", "approved", "refused"]
    by: str
    at: Timestamp
    note: str | None
    source: str | None = Field(description="the declaration a proposal took its values from")


class PartAdvisory(_Body):
    code: str
    g_no: int | None
    message_zh: str
    message_en: str
    details: dict[str, str]


class Part(_Body):
    part_no: str
    code_ts: str | None
    g_name: str | None
    g_model: str | None
    unit: str | None
    first_unit: str | None
    second_unit: str | None
    status: Literal["proposed", "approved", "refused"]
    history: list[PartEvent]
    advisories: list[PartAdvisory] = Field(description="declaration elements the 规格型号 lacks")
    version: int


class PartPage(_Body):
    items: list[Part]
    next_cursor: str | None = Field(description="pass as `after` for the next page; null on the last")


class PartDecision(_Body):
    note: Annotated[str, StringConstraints(max_length=200)] | None = None


# ---- declarations ----------------------------------------------------------------------------


class Declaration(DeclarationView):
    """A declaration as answered (chalicelib/domain/declaration.py DeclarationView)."""


class DeclarationPage(_Body):
    items: list[Declaration]
    total: int
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class ImportDeclarations(_Body):
    declarations: list[DeclarationContent] = Field(min_length=1, max_length=MAX_IMPORT_RECORDS)
    smart_mark: bool = False


class Rejection(_Body):
    index: int
    seq_no: Any = Field(default=None, description="the record's own seq_no, as sent")
    source: str | None = None
    errors: list[FieldProblem]


class ImportAdvisory(_Body):
    """A prompt on an accepted declaration: a goods item that differs from its part in the parts library."""

    index: int
    seq_no: str
    code: str
    g_no: int | None
    message_zh: str
    message_en: str
    details: dict[str, str]


class ImportResult(_Body):
    accepted: list[str]
    rejected: list[Rejection]
    advisories: list[ImportAdvisory] = Field(
        default_factory=list, description="present when goods differ from their parts (the parts library)"
    )


class SeqNos(_Body):
    seq_nos: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1, max_length=MAX_SEQ_NOS)


class Refusal(_Body):
    seq_no: str
    reason: str
    message_zh: str
    message_en: str


class MarkResult(_Body):
    marked: int
    refused: list[Refusal]
    message_zh: str
    message_en: str


class UnmarkResult(_Body):
    unmarked: int
    refused: list[Refusal]
    message_zh: str
    message_en: str


class ContinueResult(_Body):
    continued: int
    refused: list[Refusal]
    message_zh: str
    message_en: str


class LogEntry(_Body):
    at: Timestamp
    gate: str
    outcome: str
    reason_zh: str
    reason_en: str
    who: str
    batch_no: str | None
    details: Any = None
    result: str | None = None


class LogPage(_Body):
    items: list[LogEntry]
    total: int
    next_cursor: OnePage = None


# ---- executions and batches ------------------------------------------------------------------


class StartExecution(_Body):
    enterprise_type: Literal["agent", "consignee"]
    config_ids: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        min_length=1, max_length=20, json_schema_extra={"uniqueItems": True}
    )


class Execution(_Body):
    execution_id: str
    status: Literal["running", "stopped"]
    enterprise_type: Literal["agent", "consignee"]
    config_ids: list[str]
    current_batch_no: str | None
    batch_index: int
    batch_succeeded: int
    batch_failed: int
    batches_total: int
    total_succeeded: int
    total_failed: int
    progress_percent: int
    next_batch_at: Timestamp | None
    countdown_seconds: int | None
    customs_available: bool
    idle: bool = Field(description="running, its last batch found nothing: it waits for marked declarations")
    batch_wait_seconds: int
    started_by: str
    started_at: Timestamp
    stopped_at: Timestamp | None


class ExecutionPage(_Body):
    items: list[Execution]
    total: int
    next_cursor: OnePage = None


class PoolPage(_Body):
    """The marked, pending declarations the ticked configs take, in the order batches take them."""

    items: list[Declaration]
    total: int
    truncated: bool = Field(description="true when more are in the pool than listed (200 per import/export flag)")


class Batch(_Body):
    """One batch of an execution: its number, configs, times and counts."""

    batch_no: str
    execution_id: str
    index: int
    config_ids: list[str]
    config_names: list[str]
    started_at: Timestamp
    finished_at: Timestamp | None
    claimed: int
    succeeded: int
    failed: int
    waiting: int
    skipped: int
    progress_percent: int


class BatchPage(_Body):
    items: list[Batch]
    total: int
    next_cursor: OnePage = None  # the newest 100 in one page


class BatchRow(_Body):
    seq_no: str
    result: str
    reason_zh: str | None
    reason_en: str | None
    at: Timestamp
    entry_id: str | None = None
    bill_no: str | None = None
    declare_customs: str | None = None
    ie_flag: Literal["I", "E"] | None = None
    trade_mode: str | None = None
    smart_status: str | None = None
    waiting_reason: str | None = None  # what it waits for now (manifest, arrival, tax, advisory, …)
    handover: Literal["queued", "written", "sent"] | None = None  # the exchange channel: where its message is
    handover_label: str | None = None
    tax_status: str | None = None
    updated_at: Timestamp | None = None


class BatchConsole(Batch):
    """The console of one batch (智能申报台): the batch, its counts, every declaration's result."""

    declarations: list[BatchRow]
    results: dict[str, int]


# ---- tax -------------------------------------------------------------------------------------

Money = Field(pattern=r"^-?[0-9]+\.[0-9]{2}$")


class TaxItem(_Body):
    g_no: int
    code_ts: str
    customs_value: str = Money
    duty_rate: str
    duty: str = Money
    consumption_rate: str
    consumption_specific: str | None
    consumption_tax: str = Money
    vat_rate: str
    vat: str = Money


class TaxTotals(_Body):
    customs_value: str = Money
    duty: str = Money
    consumption_tax: str = Money
    vat: str = Money
    payable: str = Money


class TaxDetail(_Body):
    """shared/examples/tax-detail.json, plus `notes`."""

    seq_no: str
    tax_status: Literal["not_required", "unconfirmed", "confirmed"]
    exchange_rates: dict[str, str]
    items: list[TaxItem]
    totals: TaxTotals
    waived: list[str]
    confirmed_by: str | None
    confirmed_at: Timestamp | None
    notes: list[str]


# ---- subscriptions, deliveries, events -------------------------------------------------------


class Subscription(SubscriptionContent):
    subscription_id: str
    ent_code: str
    created_at: Timestamp
    created_by: str
    secret: str | None = Field(default=None, description="webhooks: the HMAC key, in the create answer only")


class SubscriptionPage(_Body):
    items: list[Subscription]
    total: int
    next_cursor: OnePage = None


class Event(_Body):
    """The webhook body (docs/webhooks.md)."""

    event_id: str
    event_type: str
    occurred_at: Timestamp
    seq_no: str
    ie_flag: Literal["I", "E"]
    data: dict[str, Any]


class Delivery(_Body):
    event: Event
    status: str
    attempts: list[dict[str, Any]]
    updated_at: Timestamp


class DeliveryPage(_Body):
    items: list[Delivery]
    total: int
    next_cursor: OnePage = None


class ReplayWindow(_Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)


class Replayed(_Body):
    replayed: int


class FeedEntry(_Body):
    cursor: str
    event: Event


class FeedPage(_Body):
    items: list[FeedEntry]
    next_cursor: str | None = Field(description="pass as `after`; the same again when nothing is new")
    has_more: bool


# ---- customs receipts ------------------------------------------------------------------------


class UnmatchedReceipt(_Body):
    receipt_id: str
    client_seq_no: str | None
    cus_ciq_no: str | None
    entry_id: str | None
    channel: str | None
    message_zh: str
    message_en: str


class Disagreement(_Body):
    identifier: Literal["client_seq_no", "entry_id", "cus_ciq_no"]
    value: str = Field(description="the number as the receipt names it")
    held: str | None = Field(description="what the declaration holds instead, if anything")
    held_by: str | None = Field(description="another declaration that holds the receipt's number")


class ConflictReceipt(_Body):
    """A receipt whose numbers point at different declarations: kept, applied to none, alarmed."""

    receipt_id: str
    client_seq_no: str | None
    cus_ciq_no: str | None
    entry_id: str | None
    channel: str | None
    seq_nos: list[str] = Field(description="the declarations it points at; each has a log line")
    disagreements: list[Disagreement]
    message_zh: str
    message_en: str


class ReceiptsResult(_Body):
    received: int
    applied: int
    duplicates: int
    unmatched: list[UnmatchedReceipt]
    conflicts: list[ConflictReceipt]


# ---- reference data (GET /declaration-fields, GET /code-tables/{name}) -------------------------


class FieldGroup(_Body):
    key: str
    label_zh: str
    label_en: str


class DeclarationField(_Body):
    """One leaf of the declaration content (domain/declaration_fields.py)."""

    path: str  # "agent.code", "goods[].code_ts"
    tag: str | None  # the DecMessage element; null: the message does not carry it
    label_zh: str
    label_en: str
    group: str  # a FieldGroup key
    code_table: str | None  # GET /code-tables/{code_table}
    required: bool  # the field and every field above it are required


class DeclarationFields(_Body):
    groups: list[FieldGroup]
    fields: list[DeclarationField]  # in the form's order


class CodeEntry(_Body):
    code: str
    zh: str
    en: str | None = None


class CodeTable(_Body):
    name: str
    label_zh: str
    label_en: str
    source: str  # where the table comes from
    date: str  # when it was made or last checked
    codes: list[CodeEntry]


RESPONSES: tuple[type[BaseModel], ...] = (
    Error,
    Health,
    ConsoleConfig,
    DevToken,
    Enablement,
    Config,
    ConfigPage,
    ColumnMapping,
    ColumnMappingPage,
    Part,
    PartPage,
    Declaration,
    DeclarationPage,
    ImportResult,
    MarkResult,
    UnmarkResult,
    ContinueResult,
    LogPage,
    Execution,
    ExecutionPage,
    PoolPage,
    BatchPage,
    BatchConsole,
    TaxDetail,
    Subscription,
    SubscriptionPage,
    DeliveryPage,
    Replayed,
    FeedPage,
    ReceiptsResult,
    DeclarationFields,
    CodeTable,
)
REQUESTS: tuple[type[BaseModel], ...] = (
    DevTokenRequest,
    AcceptNotice,
    ConfigContent,
    ColumnMappingContent,
    PartValues,
    PartDecision,
    DeclarationContent,
    ImportDeclarations,
    SeqNos,
    StartExecution,
    SubscriptionContent,
    ReplayWindow,
)
