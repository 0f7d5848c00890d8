"""The wiring (composition root): settings, repositories and adapters, built once per Lambda
container (cold start).

The API and every function share it; tests swap in their own (use_container). `bootstrap` takes
any adapter as an argument (the fakes of tests/fakes.py); what is not given is the production
default, built the first time it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import aws_clients
from chalicelib.adapters.dynamo_models import bind_tables
from chalicelib.config import JWT_SECRET_VAR, RECEIPT_SECRET_VAR, Settings, check_secret
from chalicelib.services.ports import Clock, utc_now

# Adapters are imported where they are first built: each function loads only what it uses
# (PyJWT/cryptography only in the API, Powertools idempotency only where it is used).
if TYPE_CHECKING:
    from chalicelib.adapters.column_mapping_repository import DynamoColumnMappingRepository
    from chalicelib.adapters.config_repository import DynamoConfigRepository
    from chalicelib.adapters.declaration_repository import DynamoDeclarationRepository
    from chalicelib.adapters.enterprise_repository import DynamoEnterpriseRepository
    from chalicelib.adapters.idempotency import IdempotentRunner
    from chalicelib.adapters.parts_repository import DynamoPartsRepository
    from chalicelib.adapters.price_history import DynamoPriceHistory
    from chalicelib.adapters.seq_no_allocator import DynamoSeqNoAllocator
    from chalicelib.adapters.tokens import TokenVerifier


@dataclass
class Container:
    settings: Settings
    clock: Clock = field(default=utc_now)
    # Adapters given instead of the production defaults (bootstrap); each name one of the wiring's.
    adapters: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # Point the DynamoDB models at the settings' tables (module-wide); a wiring on fakes does not.
    bind: bool = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.adapters) - set(wired_names()))
        if unknown:
            raise TypeError(f"the wiring has no adapter named {', '.join(unknown)}")
        # A cached_property reads the instance's own value first: a given adapter is never built.
        self.__dict__.update(self.adapters)
        if self.bind:
            bind_tables(self.settings)

    @cached_property
    def declarations(self) -> DynamoDeclarationRepository:
        from chalicelib.adapters.declaration_repository import DynamoDeclarationRepository

        return DynamoDeclarationRepository()

    @cached_property
    def configs(self) -> DynamoConfigRepository:
        from chalicelib.adapters.config_repository import DynamoConfigRepository

        return DynamoConfigRepository(region=self.settings.region)

    @cached_property
    def column_mappings(self) -> DynamoColumnMappingRepository:
        from chalicelib.adapters.column_mapping_repository import DynamoColumnMappingRepository

        return DynamoColumnMappingRepository(region=self.settings.region)

    @cached_property
    def parts(self) -> DynamoPartsRepository:
        from chalicelib.adapters.parts_repository import DynamoPartsRepository

        return DynamoPartsRepository()

    @cached_property
    def price_history(self) -> DynamoPriceHistory:
        from chalicelib.adapters.price_history import DynamoPriceHistory

        return DynamoPriceHistory()

    @cached_property
    def enterprises(self) -> DynamoEnterpriseRepository:
        from chalicelib.adapters.enterprise_repository import DynamoEnterpriseRepository

        return DynamoEnterpriseRepository()

    @cached_property
    def seq_nos(self) -> DynamoSeqNoAllocator:
        from chalicelib.adapters.seq_no_allocator import DynamoSeqNoAllocator

        return DynamoSeqNoAllocator()

    @cached_property
    def idempotency(self) -> IdempotentRunner:
        from chalicelib.adapters.idempotency import IdempotentRunner

        s = self.settings
        return IdempotentRunner(s.tables.idempotency, s.idempotency_ttl_seconds, self.dynamodb)

    @cached_property
    def dynamodb(self):
        """A plain DynamoDB client, for what takes one (Powertools idempotency, the rate windows)."""
        return aws_clients.client("dynamodb", self.settings.region)

    @cached_property
    def sqs(self):
        return aws_clients.client("sqs", self.settings.region)

    @cached_property
    def queue(self):
        from chalicelib.adapters.work_queue import SqsWorkQueue

        q = self.settings.queues
        return SqsWorkQueue(
            self.sqs, trigger_url=q.batch_trigger, validation_url=q.validation, submission_url=q.submission
        )

    @cached_property
    def uow(self):
        from chalicelib.adapters.unit_of_work import DynamoUnitOfWork

        return DynamoUnitOfWork(self.settings.region)

    @cached_property
    def executions(self):
        from chalicelib.adapters.execution_repository import DynamoExecutionRepository

        return DynamoExecutionRepository(region=self.settings.region)

    @cached_property
    def batches(self):
        from chalicelib.adapters.execution_repository import DynamoBatchRepository

        return DynamoBatchRepository()

    @cached_property
    def log(self):
        from chalicelib.adapters.execution_repository import DynamoDeclarationLog

        return DynamoDeclarationLog()

    @cached_property
    def counter(self):
        from chalicelib.adapters.execution_repository import DynamoCounter

        return DynamoCounter()

    @cached_property
    def engine(self):
        from chalicelib.services.engine import Engine

        return Engine(
            declarations=self.declarations,
            configs=self.configs,
            uow=self.uow,
            executions=self.executions,
            batches=self.batches,
            log=self.log,
            queue=self.queue,
            counter=self.counter,
            clock=self.clock,
            batch_size=self.settings.batch_size,
            publisher=None,  # events leave through the log's stream (functions/publish_events.py)
            receipt_watchdog=timedelta(hours=self.settings.receipt_watchdog_hours),
            parts=self.parts,
            prices=self.price_history,
        )

    @cached_property
    def publisher(self):
        if not self.settings.events_topic_arn:
            return None  # nothing subscribed: events are not pushed (tests of other parts)
        from chalicelib.adapters.sns_publisher import SnsEventPublisher

        s = self.settings
        return SnsEventPublisher(
            aws_clients.client("sns", s.region),
            s.events_topic_arn,
            console_url=s.console_url,
            short_link_base=s.short_link_base,
        )

    @cached_property
    def subscriptions(self):
        from chalicelib.adapters.subscription_repository import DynamoSubscriptionRepository

        return DynamoSubscriptionRepository()

    @cached_property
    def subscription_reader(self):
        """What the notify function reads: the subscriptions, cached briefly per container."""
        from chalicelib.adapters.subscription_repository import CachedSubscriptionReader

        return CachedSubscriptionReader(self.subscriptions, self.settings.subscription_cache_seconds)

    @cached_property
    def deliveries(self):
        from chalicelib.adapters.subscription_repository import DynamoDeliveryLog

        return DynamoDeliveryLog()

    @cached_property
    def event_feed(self):
        """The pull feed (GET /events), filed by the event-feed function."""
        from chalicelib.adapters.event_feed_repository import DynamoEventFeed

        return DynamoEventFeed(region=self.settings.region)

    @cached_property
    def subscriber(self):
        from chalicelib.adapters.sns_publisher import SnsSubscriber

        s = self.settings
        if not s.events_topic_arn:
            return None
        return SnsSubscriber(
            aws_clients.client("sns", s.region),
            s.events_topic_arn,
            digest_topic_arn=s.digest_topic_arn,
            sms_via_sns=s.sms_provider == "sns",
        )

    @cached_property
    def send_delivery(self):
        from chalicelib.adapters.work_queue import SqsDeliveryQueue

        return SqsDeliveryQueue(self.sqs, self.settings.queues.webhook)

    # ---- push (issue #14): mainland SMS, digests ----------------------------------------------------

    @cached_property
    def push_store(self):
        from chalicelib.adapters.push_store import DynamoPushStore

        return DynamoPushStore()

    @cached_property
    def send_sms(self):
        from chalicelib.adapters.work_queue import SqsDeliveryQueue

        return SqsDeliveryQueue(self.sqs, self.settings.queues.sms)

    @cached_property
    def sms_policy(self):
        from chalicelib.domain.sms import RateLimits
        from chalicelib.services.notifications import SmsPolicy

        s = self.settings
        return SmsPolicy(
            sign_name=s.sms_sign_name, templates=dict(s.sms_templates), rate_limits=RateLimits.parse(s.sms_rate_limits)
        )

    @cached_property
    def sms_sender(self):
        """The provider: the local stand-in when SMARTDECL_SMS_STANDIN_DIR is set, else Alibaba Cloud
        with its keys read from SSM now (cold start), refused at once if malformed."""
        from chalicelib.adapters import sms_provider

        s = self.settings
        if s.sms_standin_dir:
            return sms_provider.StandInSmsSender(s.sms_standin_dir)
        if s.sms_provider != "aliyun":
            raise RuntimeError(f"SMS provider {s.sms_provider!r} is not sent by our fan-out")
        if not s.sms_credentials_parameter:
            raise sms_provider.SmsCredentialsInvalid("SMARTDECL_SMS_CREDENTIALS_PARAMETER is not set")
        key_id, secret = sms_provider.read_credentials(aws_clients.client("ssm", s.region), s.sms_credentials_parameter)
        return sms_provider.AliyunSmsSender(key_id, secret)

    @cached_property
    def digest_sender(self):
        from chalicelib.adapters.sns_publisher import SnsDigestSender

        if not self.settings.digest_topic_arn:
            raise RuntimeError("SMARTDECL_DIGEST_TOPIC_ARN is not set")
        return SnsDigestSender(aws_clients.client("sns", self.settings.region), self.settings.digest_topic_arn)

    @cached_property
    def webhook_sender(self):
        from chalicelib.adapters.webhook_sender import WebhookSender

        return WebhookSender(local_mode=self.settings.local_mode, loopback=self.settings.loopback_ports)

    @cached_property
    def receipts(self):
        from chalicelib.adapters.receipt_repository import DynamoReceiptRepository

        return DynamoReceiptRepository()

    @cached_property
    def recent_declarations(self):
        """The records this process last applied receipts to (services/receipts.RecentDeclarations)."""
        from chalicelib.services.receipts import RecentDeclarations

        return RecentDeclarations()

    @cached_property
    def receipt_secret(self) -> str | None:
        s = self.settings
        if s.receipt_secret or not s.receipt_secret_parameter:
            return s.receipt_secret
        ssm = aws_clients.client("ssm", s.region)
        value = ssm.get_parameter(Name=s.receipt_secret_parameter, WithDecryption=True)["Parameter"]["Value"]
        check_secret(f"{RECEIPT_SECRET_VAR}_PARAMETER ({s.receipt_secret_parameter})", value)
        return value

    @cached_property
    def window_counter(self):
        from chalicelib.adapters.window_counter import DynamoWindowCounter

        return DynamoWindowCounter(self.settings.tables.rate_limits, self.dynamodb)

    def check_api_secrets(self) -> None:
        """Cold start of the API: every secret present and long enough (SSM ones fetched now), so a
        misconfiguration stops the function from starting instead of failing requests."""
        self.settings.require_api_secrets()
        _ = self.tokens, self.receipt_secret

    def _customs_endpoint(self) -> str:
        if not self.settings.customs_endpoint:  # fail at cold start, not by waiting for ever
            raise RuntimeError("SMARTDECL_CUSTOMS_ENDPOINT is not set")
        return self.settings.customs_endpoint

    @cached_property
    def customs(self):
        """The customs channel (SMARTDECL_CUSTOMS_CHANNEL): the enterprise's exchange outbox, taken by its
        agent to the Single Window client; or a vendor's HTTP gateway (and the tests' simulator)."""
        s = self.settings
        if s.customs_channel == "exchange":
            from chalicelib.adapters.exchange_gateway import ExchangeCustomsGateway

            return ExchangeCustomsGateway(self.exchange_outbox, message_version=s.dec_message_version, clock=self.clock)
        from chalicelib.adapters.customs_gateway import HttpCustomsGateway

        gateway = HttpCustomsGateway(
            self._customs_endpoint(),
            timeout_seconds=s.customs_timeout_seconds,
            retries=s.customs_retries,
            backoff_seconds=s.customs_backoff_seconds,
        )
        gateway.message_version = s.dec_message_version
        return gateway

    # ---- the exchange channel (docs/customs-channel.md) ---------------------------------------

    @cached_property
    def exchange_outbox(self):
        from chalicelib.adapters.exchange_outbox import DynamoExchangeOutbox

        return DynamoExchangeOutbox()

    @cached_property
    def agent_credentials(self):
        from chalicelib.adapters.agent_credentials import DynamoAgentCredentials

        return DynamoAgentCredentials()

    @cached_property
    def agent_keys(self):
        """The agent credentials as the API checks them: each read at most every few seconds per container."""
        from chalicelib.services.exchange_credentials import CredentialCheck

        return CredentialCheck(self.agent_credentials, clock=self.clock)

    @cached_property
    def customs_channels(self):
        from chalicelib.adapters.agent_credentials import DynamoCustomsChannels

        return DynamoCustomsChannels()

    @cached_property
    def inbox_files(self):
        from chalicelib.adapters.agent_credentials import DynamoInboxFiles

        return DynamoInboxFiles()

    @cached_property
    def exchange(self):
        """What the agent's routes and the schedule's channel checks use (services/exchange.py)."""
        from chalicelib.services.exchange import Exchange

        s = self.settings
        return Exchange(
            engine=self.engine,
            outbox=self.exchange_outbox,
            receipts=self.receipts,
            files=self.inbox_files,
            channels=self.customs_channels,
            credentials=self.agent_credentials,
            publisher=self.publisher,
            recent=self.recent_declarations,
            channel=s.customs_channel,
            poll_seconds=s.agent_poll_seconds,
            handover_watchdog=timedelta(minutes=s.handover_watchdog_minutes),
        )

    @cached_property
    def logistics(self):
        from chalicelib.adapters.logistics_gateway import HttpLogisticsGateway

        s = self.settings
        return HttpLogisticsGateway(
            self._customs_endpoint(),
            timeout_seconds=s.customs_timeout_seconds,
            retries=s.customs_retries,
            backoff_seconds=s.customs_backoff_seconds,
        )

    @cached_property
    def tokens(self) -> TokenVerifier:
        from chalicelib.adapters.tokens import TokenVerifier

        s = self.settings
        if s.auth_mode == "jwks":
            return TokenVerifier(jwks_url=s.jwks_url, issuer=s.jwt_issuer, audience=s.jwt_audience)
        secret = s.jwt_secret
        if not secret and s.jwt_secret_parameter:  # deployed hs256: the secret lives in SSM, never in config
            ssm = aws_clients.client("ssm", s.region)
            secret = ssm.get_parameter(Name=s.jwt_secret_parameter, WithDecryption=True)["Parameter"]["Value"]
            check_secret(f"{JWT_SECRET_VAR}_PARAMETER ({s.jwt_secret_parameter})", secret)
        return TokenVerifier(secret=secret, issuer=s.jwt_issuer, audience=s.jwt_audience)


def wired_names() -> list[str]:
    """What the wiring builds (and bootstrap takes instead): every cached attribute of Container."""
    return [name for name, value in vars(Container).items() if isinstance(value, cached_property)]


def bootstrap(
    settings: Settings | None = None, *, clock: Clock = utc_now, bind: bool | None = None, **adapters: Any
) -> Container:
    """The wiring with `adapters` (by their names on Container: declarations=, uow=, customs=, …)
    instead of the production defaults; the others are still built on first use.

    Without settings the wiring is on fakes: the defaults' settings, and the DynamoDB models are
    left where they point (so pass every adapter the code under test reaches). `bind` says otherwise:
    settings for fakes (a channel, a batch size) that must not move the models."""
    bind = settings is not None if bind is None else bind
    return Container(settings or Settings(), clock=clock, adapters=adapters, bind=bind)


_container: Container | None = None


def container() -> Container:
    """The process-wide container, built on first use (cold start), not at import."""
    global _container
    if _container is None:
        _container = bootstrap(Settings.from_env())  # every adapter its production default
    return _container


def use_container(new: Container | None) -> None:
    """Swap the wiring (tests, local runner)."""
    global _container
    _container = new
