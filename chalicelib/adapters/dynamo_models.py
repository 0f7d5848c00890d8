"""PynamoDB models: every DynamoDB table and index of the service, in one place.

Table names come from Settings (bind_tables), never from the environment at import time.
The keys and indexes here must equal template.yaml's; tests/integration/test_template.py checks.

Access patterns (no Scan anywhere):
- declaration by seq_no ........................ Declarations + DeclarationContent, one BatchGetItem
- an enterprise's declarations by last operation  by_agent / by_consignee (id, updated_at)
- declarations by bill of lading / entry_id ..... by_bill_no / by_entry_id
- the pool of marked pending declarations ....... pool_agent / pool_consignee (sparse)
- configs of an enterprise ...................... Configs Query (ent_code, sk begins_with CONFIG#)
- config uniqueness claims ...................... Configs items sk = CLAIM#…, conditional Put
- enablement of an enterprise ................... Enterprises GetItem
- credit code / source seq_no claims ............ Enterprises items "uscc#…" / "source#…", conditional Put
- seq_no, batch_no, agreement counters .......... Counters UpdateItem ADD
- in-progress declarations past their deadline .. in_flight (sparse, sharded)
- a receipt that names customs' SeqNo only ....... by_customs_seq_no (sparse)
- declared, no receipt yet (watchdog) ........... awaiting_receipt (sparse, sharded)
- executions of an enterprise / due to batch .... by_enterprise / running (sparse)
- batches of an execution ....................... by_execution
- log of one declaration ........................ DeclarationLog Query (seq_no)
- the console of one batch ...................... DeclarationLog by_batch (sparse: lines with a result), then BatchGet
- a customs receipt, once ........................ Receipts conditional Put (receipt_id)
- receipts kept unmatched ....................... Receipts unmatched (sparse); a declaration's receipts are
  named by receipt_id on its log lines (no index of its own: it was a second write of every receipt)
- an enterprise's subscriptions ................. Subscriptions Query (ent_code)
- a subscription's deliveries in a time window .. Deliveries Query (subscription_id, sk between)
- push bookkeeping (issue #14) .................. Push: one SMS per declaration and state (conditional
  Put), SMS sent per number and minute/hour/day (UpdateItem ADD under a limit), digest entries of a
  window (Query pk), digests due in an hour (Query pk "due#<hour>"); everything expires (TTL)
- an enterprise's events after a cursor ......... Events Query (ent_code, sk between F#<cursor> and F#<settled>)
- an event filed once per enterprise ............ Events conditional Put of ID#<event_id> (in one transaction)
- a declaration's sends to the client ........... ExchangeOutbox Query (client_seq_no); one send: GetItem
- an enterprise's sends by state (agent's lease,  ExchangeOutbox by_enterprise ("<ent>#<state>", due_at), sparse:
  the channel's counts) .......................... only while unanswered; then BatchGetItem of the keys
- every unanswered send (schedule: silent agents, ExchangeOutbox open_sends (sparse, sharded, created_at)
  the handover watchdog)
- an agent credential by id ..................... Agents GetItem ("cred#<id>", "cred")
- an enterprise's agent credentials ............. Agents by_enterprise (cred_ent, created_at)
- an enterprise's customs channel ............... Agents GetItem ("channel#<ent>", "channel"); many: BatchGetItem
- InBox receipts waiting for customs' SeqNo ..... Agents Query ("parked#<ent>#<SeqNo>"); expire (TTL)
- an enterprise's parts ......................... Parts Query (ent_code, part_no >= "0"); by number: BatchGetItem
- an enterprise's recent prices of one HS code,  Parts Query (ent_code, part_no between "#price#<key>#<since>"
  currency and unit (newest first) ............. and "#price#<key>#~", backwards, Limit); expire (TTL)
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import botocore.session
from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection, TableConnection
from pynamodb.constants import BINARY, STRING
from pynamodb.exceptions import AttributeDeserializationError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.config import Settings

from . import aws_clients
from .packing import compress, text_of


class _Connection(Connection):
    """PynamoDB's connection on the process's one botocore session (adapters/aws_clients.py);
    PynamoDB would make a session of its own, per thread."""

    @property
    def session(self) -> botocore.session.Session:
        return aws_clients.session()

    @property
    def client(self) -> Any:
        with aws_clients.building():  # held while PynamoDB builds its client (once), not while it is used
            return Connection.client.fget(self)  # type: ignore[attr-defined]


@functools.cache
def connection(region: str | None = None) -> Connection:
    """The process's one PynamoDB connection in `region`: every model's requests (`_Model`) and every
    transaction. Each Connection builds its own botocore session and client on first use (50–150 ms
    of CPU): one per TransactWriteItems cost a submission invocation 1.6 s of its 2.2 s, and one per
    model class cost a function about 55 ms for each table at its first request. The client is
    thread-safe; the endpoint (AWS_ENDPOINT_URL locally) is read when it is built."""
    return _Connection(region=region)


class _Model(Model):
    """A table's model whose requests go through `connection(region)`. PynamoDB gives each model
    class a Connection of its own, so a function paid a botocore session and client per table it
    touched, at its first message (more than its whole import: bench/README.md, session 7)."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        shared = connection(cls.Meta.region)
        if table.connection is not shared:  # built just now (first use, or bind_tables reset it)
            with contextlib.suppress(ValueError):  # another model of the same table added it first
                shared.add_meta_table(table.get_meta_table())
            table.connection = shared
        return table


class _Meta:
    billing_mode = "PAY_PER_REQUEST"
    region: str | None  # declared only: PynamoDB fills in its default when absent; bind_tables sets it


class PackedTextAttribute(Attribute[str]):
    """Text written compressed, as Binary (adapters/packing.py); the model holds the plain text. An
    item written before holds a String (plain, or Base85-packed) and reads the same."""

    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return compress(value)

    def get_value(self, value: dict) -> dict:
        # the typed value itself: a Binary may come as bytes (botocore) or Base64 (a Lambda event)
        for kind in (BINARY, STRING):
            if kind in value:
                return {kind: value[kind]}
        raise AttributeDeserializationError(self.attr_name, self.attr_type)

    def deserialize(self, value: dict) -> str:
        return text_of(value)


def _index_meta(name: str):
    return type("Meta", (), {"index_name": name, "projection": AllProjection()})


# What the list queries (by enterprise, bill_no, entry_id) filter on: the index carries these, not the
# record; a page's records are then read by key in one BatchGetItem. An engine step rewrites a few
# hundred bytes in these indexes instead of the whole record (template.yaml: the same list).
# The list filters answered by equality on the attribute of the same name (DeclarationQuery's fields);
# the repository's filter expression walks this same tuple.
EQUALITY_FILTERS = (
    "declaration_type",
    "ie_flag",
    "declare_customs",
    "status",
    "smart_status",
    "transport_mode",
    "card_no",
    "batch_no",
    "config_name",
    "entry_id",
    "bill_no",
    "tax_status",
    "smart_mark",
)
LIST_FILTER_ATTRIBUTES = ["owner_ent", "updated_at", *EQUALITY_FILTERS, "consignee"]


def _list_index_meta(name: str, key: str):
    projected = [a for a in LIST_FILTER_ATTRIBUTES if a != key]  # an index's own key is not listed again
    return type("Meta", (), {"index_name": name, "projection": IncludeProjection(projected)})


def _keys_only_meta(name: str):
    return type("Meta", (), {"index_name": name, "projection": KeysOnlyProjection()})


# ---- declarations --------------------------------------------------------------------------


class PartyMap(MapAttribute):
    code = UnicodeAttribute(null=True)
    uscc = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)


class FeeMap(MapAttribute):
    mark = UnicodeAttribute()
    rate = UnicodeAttribute()  # decimals are stored as strings: exact, as declared
    currency = UnicodeAttribute(null=True)


class GoodsItemMap(MapAttribute):
    g_no = NumberAttribute()
    code_ts = UnicodeAttribute()
    g_name = UnicodeAttribute()
    g_model = UnicodeAttribute(null=True)
    qty = UnicodeAttribute()
    unit = UnicodeAttribute()
    first_qty = UnicodeAttribute(null=True)
    first_unit = UnicodeAttribute(null=True)
    second_qty = UnicodeAttribute(null=True)
    second_unit = UnicodeAttribute(null=True)
    decl_price = UnicodeAttribute()
    decl_total = UnicodeAttribute()
    currency = UnicodeAttribute()
    origin_country = UnicodeAttribute()
    destination_country = UnicodeAttribute()
    duty_mode = UnicodeAttribute(null=True)


class ContainerMap(MapAttribute):
    container_id = UnicodeAttribute()
    container_md = UnicodeAttribute(null=True)
    goods_no = UnicodeAttribute(null=True)
    lcl_flag = UnicodeAttribute(null=True)
    container_wt = UnicodeAttribute(null=True)


class DocumentMap(MapAttribute):
    edoc_code = UnicodeAttribute()
    edoc_no = UnicodeAttribute()


class ByAgent(GlobalSecondaryIndex):
    Meta = _list_index_meta("by_agent", "updated_at")
    agent_id = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ByConsignee(GlobalSecondaryIndex):
    Meta = _list_index_meta("by_consignee", "updated_at")
    consignee_id = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ByBillNo(GlobalSecondaryIndex):
    Meta = _list_index_meta("by_bill_no", "bill_no")
    bill_no = UnicodeAttribute(hash_key=True)
    seq_no = UnicodeAttribute(range_key=True)


class ByEntryId(GlobalSecondaryIndex):
    Meta = _list_index_meta("by_entry_id", "entry_id")
    entry_id = UnicodeAttribute(hash_key=True)


class PoolAgent(GlobalSecondaryIndex):
    Meta = _keys_only_meta("pool_agent")
    pool_agent = UnicodeAttribute(hash_key=True)  # "{agent_id}#{ie_flag}", only while in the pool
    # when a batch may take it (lifecycle.ready_at): a claim reads `pool_since <= now` by key, so a
    # waiting declaration is not even read before its re-check time
    pool_since = UnicodeAttribute(range_key=True)


class PoolConsignee(GlobalSecondaryIndex):
    Meta = _keys_only_meta("pool_consignee")
    pool_consignee = UnicodeAttribute(hash_key=True)
    pool_since = UnicodeAttribute(range_key=True)


class ByCustomsSeqNo(GlobalSecondaryIndex):
    Meta = type("Meta", (), {"index_name": "by_customs_seq_no", "projection": KeysOnlyProjection()})
    customs_seq_no = UnicodeAttribute(hash_key=True)


class AwaitingReceipt(GlobalSecondaryIndex):
    Meta = type("Meta", (), {"index_name": "awaiting_receipt", "projection": KeysOnlyProjection()})
    awaiting_receipt = UnicodeAttribute(hash_key=True)
    declared_at = UnicodeAttribute(range_key=True)


class InFlight(GlobalSecondaryIndex):
    Meta = type("Meta", (), {"index_name": "in_flight", "projection": KeysOnlyProjection()})
    in_flight = UnicodeAttribute(hash_key=True)
    claim_deadline = UnicodeAttribute(range_key=True)


class DeclarationModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-declarations"

    seq_no = UnicodeAttribute(hash_key=True)
    # the head fields the lists filter on and the indexes carry (declaration_repository.HEAD_ON_RECORD),
    # copied from the content; the content itself is DeclarationContentModel's
    ie_flag = UnicodeAttribute()
    declaration_type = UnicodeAttribute()
    declare_customs = UnicodeAttribute()
    consignee = PartyMap()
    bill_no = UnicodeAttribute(null=True)
    transport_mode = UnicodeAttribute()
    # A record written before the content table held its whole content here: read (the content
    # table has no item for it), never written.
    source_seq_no = UnicodeAttribute(null=True)
    two_step = BooleanAttribute(null=True)
    self_pay = BooleanAttribute(null=True)
    summarized_tax = BooleanAttribute(null=True)
    ie_port = UnicodeAttribute(null=True)
    ie_date = UnicodeAttribute(null=True)
    agent = PartyMap(null=True)
    owner = PartyMap(null=True)
    traf_name = UnicodeAttribute(null=True)
    voyage_no = UnicodeAttribute(null=True)
    trade_mode = UnicodeAttribute(null=True)
    cut_mode = UnicodeAttribute(null=True)
    trans_mode = UnicodeAttribute(null=True)
    trade_country = UnicodeAttribute(null=True)
    depart_country = UnicodeAttribute(null=True)
    freight = FeeMap(null=True)
    insurance = FeeMap(null=True)
    pack_no = NumberAttribute(null=True)
    wrap_type = UnicodeAttribute(null=True)
    gross_wt = UnicodeAttribute(null=True)
    net_wt = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    goods = ListAttribute(of=GoodsItemMap, null=True)
    containers = ListAttribute(of=ContainerMap, null=True)
    documents = ListAttribute(of=DocumentMap, null=True)
    # state
    entry_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    smart_mark = BooleanAttribute(default=False)
    marked_by = UnicodeAttribute(null=True)
    marked_at = UTCDateTimeAttribute(null=True)
    smart_status = UnicodeAttribute()
    waiting_reason = UnicodeAttribute(null=True)
    tax_status = UnicodeAttribute()
    batch_no = UnicodeAttribute(null=True)
    config_id = UnicodeAttribute(null=True)
    config_name = UnicodeAttribute(null=True)
    owner_ent = UnicodeAttribute()
    owner_side = UnicodeAttribute(null=True)  # agent | consignee | both: where owner_ent was verified
    created_by = UnicodeAttribute()
    card_no = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UnicodeAttribute()  # ISO-8601 UTC string: the sort key of the enterprise indexes
    execution_id = UnicodeAttribute(null=True)
    claim_deadline = UnicodeAttribute(null=True)  # ISO UTC; also the sort key of the in_flight index
    in_flight = UnicodeAttribute(null=True)  # "in_progress" while claimed: the scheduler's sparse index
    sending_until = UnicodeAttribute(null=True)  # ISO UTC: the submission's lease (lifecycle.start_sending)
    reason_zh = UnicodeAttribute(null=True)
    reason_en = UnicodeAttribute(null=True)
    advisories_confirmed = UnicodeAttribute(null=True)
    customs_seq_no = UnicodeAttribute(null=True)  # customs' SeqNo: receipts without our ClientSeqNo match on it
    declared_at = UnicodeAttribute(null=True)
    receipt_channel = UnicodeAttribute(null=True)
    receipt_overdue_at = UnicodeAttribute(null=True)
    awaiting_receipt = UnicodeAttribute(null=True)  # "awaiting#<shard>" from acceptance to the first receipt
    tax_confirmation = UnicodeAttribute(null=True)  # JSON
    recheck_at = UnicodeAttribute(null=True)  # ISO UTC: a waiting declaration is not ready before this
    handover = UnicodeAttribute(null=True)  # with the Single Window client: queued | written | sent
    send_no = NumberAttribute(null=True)  # its latest send to the client (ExchangeOutboxModel)
    version = NumberAttribute()  # optimistic lock, checked by the repository
    # the version of the record its content item was written with (DeclarationContentModel.version):
    # a read that finds them different read the two halves of one write apart, and reads again
    content_version = NumberAttribute(null=True)
    # index keys (derived; written by the repository): the verified owner on its side(s), absent on
    # the other side, so a record never enters the lists or pool of an enterprise merely named on it
    agent_id = UnicodeAttribute(null=True)
    consignee_id = UnicodeAttribute(null=True)
    pool_agent = UnicodeAttribute(null=True)
    pool_consignee = UnicodeAttribute(null=True)
    pool_since = UnicodeAttribute(null=True)  # ISO UTC: when it is ready (lifecycle.ready_at), not "since"

    by_agent = ByAgent()
    by_consignee = ByConsignee()
    by_bill_no = ByBillNo()
    by_entry_id = ByEntryId()
    pool_agent_index = PoolAgent()
    pool_consignee_index = PoolConsignee()
    in_flight_index = InFlight()
    by_customs_seq_no = ByCustomsSeqNo()
    awaiting_receipt_index = AwaitingReceipt()


class DeclarationContentModel(_Model):
    """A declaration's content (DeclarationContent, the contract's fields) as JSON, apart from its
    record. Every engine step rewrites the record, and DynamoDB charges a write by the whole item:
    with the goods, parties and documents on it a record grows with its goods (1.4 KB with one item,
    tens of KB with fifty), and so did every step. The record keeps the few head fields the lists
    filter on (declaration_repository.HEAD_ON_RECORD). Written at import, on an edit and when a
    step changes the content (the gates' fix-ups), in the same transaction as the record."""

    class Meta(_Meta):
        table_name = "smartdecl-declaration_content"

    seq_no = UnicodeAttribute(hash_key=True)
    body = PackedTextAttribute()  # DeclarationContent.as_json() without empty fields
    version = NumberAttribute()  # the record's version it was written with (DeclarationModel.content_version)


# ---- configs (and their uniqueness claims) ---------------------------------------------------


class ConfigModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-configs"

    ent_code = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # CONFIG#<config_id> | CLAIM#<uniqueness key> | RUN#<config_id>
    config_id = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)  # the config JSON, as the API takes it
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(null=True)
    execution_id = UnicodeAttribute(null=True)  # on RUN# items: the execution running this config


class ColumnMappingModel(_Model):
    """An enterprise's column mappings, items of the configs table beside its configs: the same key (the
    enterprise), read the same ways (by key, and the enterprise's list by one Query on a key prefix),
    a handful per enterprise; a table of their own would add provisioning, backups and permissions for
    no access pattern of its own. MAPPING#<mapping_id> holds the mapping, MAPPINGNAME#<name> claims its
    name (written in one transaction)."""

    class Meta(_Meta):
        table_name = "smartdecl-configs"

    ent_code = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    mapping_id = UnicodeAttribute()
    body = UnicodeAttribute(null=True)  # the mapping JSON, as the API takes it
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(null=True)


# ---- executions, batches and the declaration log --------------------------------------------


class ByEnterprise(GlobalSecondaryIndex):
    Meta = _index_meta("by_enterprise")
    ent_code = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class Running(GlobalSecondaryIndex):
    Meta = _index_meta("running")
    running = UnicodeAttribute(hash_key=True)  # "running" while it runs: the scheduler's sparse index
    next_batch_at = UnicodeAttribute(range_key=True)


class ExecutionModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-executions"

    execution_id = UnicodeAttribute(hash_key=True)
    ent_code = UnicodeAttribute()
    started_at = UnicodeAttribute()
    body = UnicodeAttribute()  # the execution's fields as JSON; counters below are updated atomically
    total_succeeded = NumberAttribute(default=0)
    total_failed = NumberAttribute(default=0)
    counted_batch_index = NumberAttribute(null=True)  # the totals include every batch up to this one
    customs_available = BooleanAttribute(default=True)
    running = UnicodeAttribute(null=True)
    next_batch_at = UnicodeAttribute(null=True)
    version = NumberAttribute()

    by_enterprise = ByEnterprise()
    running_index = Running()


class ByExecution(GlobalSecondaryIndex):
    Meta = _index_meta("by_execution")
    execution_id = UnicodeAttribute(hash_key=True)
    batch_index = NumberAttribute(range_key=True)


class BatchModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-batches"

    batch_no = UnicodeAttribute(hash_key=True)
    execution_id = UnicodeAttribute()
    batch_index = NumberAttribute()
    ent_code = UnicodeAttribute()
    config_ids = ListAttribute(of=UnicodeAttribute)
    config_names = ListAttribute(of=UnicodeAttribute)
    started_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    claimed = NumberAttribute(default=0)
    # the seq_nos counted under each outcome: adding one twice counts it once (redelivered messages)
    succeeded = UnicodeSetAttribute(null=True)
    failed = UnicodeSetAttribute(null=True)
    waiting = UnicodeSetAttribute(null=True)  # back in the pool to wait
    skipped = UnicodeSetAttribute(null=True)

    by_execution = ByExecution()


class ByBatch(GlobalSecondaryIndex):
    Meta = _index_meta("by_batch")
    batch_no = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class LogModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-declaration_log"

    seq_no = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<ISO time>#<n>": the log reads in order
    body = PackedTextAttribute()  # the entry as JSON, or a list of entries (one change's lines)
    batch_no = UnicodeAttribute(null=True)  # on lines with a result only: by_batch, the batch's console
    events = PackedTextAttribute(null=True)  # JSON: the change's events, published from the stream (outbox)

    by_batch = ByBatch()


# ---- customs receipts ------------------------------------------------------------------------


class Unmatched(GlobalSecondaryIndex):
    Meta = _index_meta("unmatched")
    unmatched = UnicodeAttribute(hash_key=True)  # "unmatched" while no declaration is known for it
    received_at = UnicodeAttribute(range_key=True)


class ReceiptModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-receipts"

    receipt_id = UnicodeAttribute(hash_key=True)  # stable per receipt: the same receipt twice is one item
    received_at = UnicodeAttribute()
    body = PackedTextAttribute()  # the receipt as JSON (with its raw XML)
    seq_no = UnicodeAttribute(null=True)
    unmatched = UnicodeAttribute(null=True)
    applied = BooleanAttribute(default=False)

    unmatched_index = Unmatched()


# ---- subscriptions and webhook deliveries -------------------------------------------------------


class SubscriptionModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-subscriptions"

    ent_code = UnicodeAttribute(hash_key=True)  # a subscription only ever sees its own enterprise
    subscription_id = UnicodeAttribute(range_key=True)
    body = UnicodeAttribute()  # protocol, endpoint, event_types as JSON
    secret = UnicodeAttribute(null=True)  # webhooks: the signing key
    sns_subscription_arn = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()


class DeliveryModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-deliveries"

    subscription_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<occurred_at ISO>#<event_id>": a range is a time window (replay)
    event = UnicodeAttribute()  # the webhook body, kept so it can be replayed
    status = UnicodeAttribute()  # pending | delivered | failed
    attempts = UnicodeAttribute()  # JSON list of DeliveryAttempt
    updated_at = UnicodeAttribute()


class PushModel(_Model):
    """Push bookkeeping, one table keyed by what it is about (pk prefixes: sms#, rate#, digest#, due#, order#)."""

    class Meta(_Meta):
        table_name = "smartdecl-push"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    owner = UnicodeAttribute(null=True)  # sms#: the event that claimed the SMS
    status = UnicodeAttribute(null=True)  # sms#: claimed | sent; due#: sent once the digest went
    n = NumberAttribute(null=True)  # rate#: messages sent in the window
    ent_code = UnicodeAttribute(null=True)  # due#: the subscription's enterprise
    body = UnicodeAttribute(null=True)  # digest#: the event JSON
    at = UnicodeAttribute(null=True)  # order#: when the subscriber's last event for the declaration happened
    rank = NumberAttribute(null=True)  # order#: the highest status rank sent for it (domain/receipts.RANK)
    expires_at = NumberAttribute(null=True)  # TTL, epoch seconds


# ---- the pull feed (GET /events) ----------------------------------------------------------------


class EventFeedModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-events"

    ent_code = UnicodeAttribute(hash_key=True)  # a reader only ever queries its own enterprise
    sk = UnicodeAttribute(range_key=True)  # "F#<stored at>#<event_id>" (the feed) | "ID#<event_id>" (seen once)
    event = UnicodeAttribute(null=True)  # the webhook body as JSON (feed items only)
    expires_at = NumberAttribute()  # TTL, Unix seconds: 14 days after it was stored


# ---- enterprises (enablement) ----------------------------------------------------------------


class EnterpriseModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-enterprises"

    ent_code = UnicodeAttribute(hash_key=True)
    ent_uscc = UnicodeAttribute(null=True)
    accepted_by = UnicodeAttribute()
    accepted_at = UTCDateTimeAttribute()
    notice_version = UnicodeAttribute()


class EnterpriseClaimModel(_Model):
    """Claims in the enterprises table, next to the enablement records they guard.

    "uscc#<credit code>": which customs code enabled with it (two enterprises never share one);
    "source#<ent_code>#<source_seq_no>": the seq_no an enterprise's source number was imported as.
    """

    class Meta(_Meta):
        table_name = "smartdecl-enterprises"

    ent_code = UnicodeAttribute(hash_key=True)  # the table's key attribute; here the claim's key
    claimed_by = UnicodeAttribute()  # the customs code holding the claim
    seq_no = UnicodeAttribute(null=True)


# ---- the exchange channel (docs/customs-channel.md) -----------------------------------------


class OutboxByEnterprise(GlobalSecondaryIndex):
    Meta = _keys_only_meta("by_enterprise")
    ent_state = UnicodeAttribute(hash_key=True)  # "<ent_code>#<state>" while unanswered
    # queued: created_at; taken: lease_expires_at (a lease that ran out is due again); written,
    # sent: when it got there. The agent's lease reads `due_at <= now` by key.
    due_at = UnicodeAttribute(range_key=True)


class OpenSends(GlobalSecondaryIndex):
    Meta = type(
        "Meta",
        (),
        {"index_name": "open_sends", "projection": IncludeProjection(["ent_code", "state", "taken_at", "overdue_at"])},
    )
    open_shard = UnicodeAttribute(hash_key=True)  # "open#<shard>" while unanswered
    created_at = UnicodeAttribute(range_key=True)


class ExchangeOutboxModel(_Model):
    """One send of a declaration's message to the Single Window client, kept until answered (then
    removed by TTL). The DecMessage is stored compressed; the table is encrypted at rest."""

    class Meta(_Meta):
        table_name = "smartdecl-exchange_outbox"

    client_seq_no = UnicodeAttribute(hash_key=True)
    send_no = NumberAttribute(range_key=True)
    ent_code = UnicodeAttribute()
    ie_flag = UnicodeAttribute()
    message_version = UnicodeAttribute()
    sha256 = UnicodeAttribute()
    xml = PackedTextAttribute()  # the DecMessage (UTF-8), handed out byte for byte every time
    first_try = NumberAttribute()
    last_try = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    state = UnicodeAttribute()
    lease_token = UnicodeAttribute(null=True)
    lease_expires_at = UnicodeAttribute(null=True)
    taken_at = UnicodeAttribute(null=True)
    handed_out = NumberAttribute(default=0)
    file_name = UnicodeAttribute(null=True)
    written_at = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)
    answer = UnicodeAttribute(null=True)
    customs_seq_no = UnicodeAttribute(null=True)
    response_code = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    answered_by = UnicodeAttribute(null=True)
    events = UnicodeSetAttribute(null=True)  # "<try>:<kind>": each agent event applies once
    overdue_at = UnicodeAttribute(null=True)
    version = NumberAttribute()
    # derived index keys (adapters/exchange_outbox.py)
    ent_state = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    open_shard = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL once answered

    by_enterprise = OutboxByEnterprise()
    open_sends = OpenSends()


class CredentialsByEnterprise(GlobalSecondaryIndex):
    Meta = _index_meta("by_enterprise")
    cred_ent = UnicodeAttribute(hash_key=True)  # on credential items only
    created_at = UnicodeAttribute(range_key=True)


class AgentModel(_Model):
    """Agent credentials ("cred#<id>", "cred"), each enterprise's customs channel ("channel#<ent>",
    "channel": the agent's last heartbeat and what was judged and told), and DEC_RESULT files that
    arrived before the DecImportResponse naming their SeqNo ("parked#<ent>#<SeqNo>", <file id>)."""

    class Meta(_Meta):
        table_name = "smartdecl-agents"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ent_code = UnicodeAttribute(null=True)
    cred_ent = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)  # JSON: the credential's or the channel's fields
    key_hash = UnicodeAttribute(null=True)  # SHA-256 of the credential's secret; the key itself is never kept
    revoked_at = UnicodeAttribute(null=True)
    last_contact_at = UnicodeAttribute(null=True)
    file = PackedTextAttribute(null=True)  # parked: the InBox file (Base64 of its bytes)
    version = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL (parked files)

    by_enterprise = CredentialsByEnterprise()


# ---- the parts library (归类) ------------------------------------------------------------------


class PartModel(_Model):
    """One part number of an enterprise (domain/parts.py): its values and history as JSON."""

    class Meta(_Meta):
        table_name = "smartdecl-parts"

    ent_code = UnicodeAttribute(hash_key=True)
    part_no = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    body = UnicodeAttribute()  # {"values": {...}, "history": [...]}
    version = NumberAttribute()
    updated_at = UTCDateTimeAttribute()


class PriceModel(_Model):
    """One declared goods item's unit price (adapters/price_history.py), in the parts table beside the
    enterprise's parts: "#price#…" sorts before every part number (they start with a letter or digit)."""

    class Meta(_Meta):
        table_name = "smartdecl-parts"

    ent_code = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, attr_name="part_no")  # "#price#<code_ts>#<curr>#<unit>#<at>#<seq_no>#<g_no>"
    price = UnicodeAttribute()  # the Decimal's text: exact
    expires_at = NumberAttribute()  # TTL, epoch seconds: after RECENT_PRICE_DAYS it counts no more


# ---- counters --------------------------------------------------------------------------------


class CounterModel(_Model):
    class Meta(_Meta):
        table_name = "smartdecl-counters"

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


MODELS: dict[str, type[Model]] = {
    "declarations": DeclarationModel,
    "declaration_content": DeclarationContentModel,
    "configs": ConfigModel,
    "enterprises": EnterpriseModel,
    "counters": CounterModel,
    "executions": ExecutionModel,
    "batches": BatchModel,
    "declaration_log": LogModel,
    "receipts": ReceiptModel,
    "subscriptions": SubscriptionModel,
    "deliveries": DeliveryModel,
    "push": PushModel,
    "events": EventFeedModel,
    "exchange_outbox": ExchangeOutboxModel,
    "agents": AgentModel,
    "parts": PartModel,
}

# The idempotency table belongs to Powertools (key "id", TTL "expiration"); declared in template.yaml.
IDEMPOTENCY_KEY = "id"


def bind_tables(settings: Settings) -> None:
    """Point every model at the table names and region of these settings."""
    for name, model in MODELS.items():
        model.Meta.table_name = getattr(settings.tables, name)
        model.Meta.region = settings.region
        model._connection = None  # PynamoDB caches the connection per class
    EnterpriseClaimModel.Meta.table_name = settings.tables.enterprises
    EnterpriseClaimModel.Meta.region = settings.region
    EnterpriseClaimModel._connection = None
    ColumnMappingModel.Meta.table_name = settings.tables.configs
    ColumnMappingModel.Meta.region = settings.region
    ColumnMappingModel._connection = None
    PriceModel.Meta.table_name = settings.tables.parts
    PriceModel.Meta.region = settings.region
    PriceModel._connection = None
