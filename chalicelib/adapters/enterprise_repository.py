"""DynamoEnterpriseRepository: enablement records, written once per enterprise, with a claim on
the credit code in the same transaction (two customs codes never enable with one credit code)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.enablement import Enablement
from chalicelib.services.ports import EnterpriseRepository, UniquenessClash

from .conditions import cancelled_by_condition
from .dynamo_models import EnterpriseClaimModel as Claim
from .dynamo_models import EnterpriseModel as M
from .dynamo_models import connection


def uscc_claim_key(uscc: str) -> str:
    return f"uscc#{uscc}"


class DynamoEnterpriseRepository(EnterpriseRepository):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def get(self, ent_code: str) -> Enablement | None:
        try:
            item = M.get(ent_code)
        except DoesNotExist:
            return None
        return Enablement(item.ent_code, item.ent_uscc, item.accepted_by, item.accepted_at, item.notice_version)

    def enable(self, enablement: Enablement) -> Enablement:
        item = M(
            ent_code=enablement.ent_code,
            ent_uscc=enablement.ent_uscc,
            accepted_by=enablement.accepted_by,
            accepted_at=enablement.accepted_at,
            notice_version=enablement.notice_version,
        )
        try:
            with TransactWrite(connection=connection(self._region or getattr(M.Meta, "region", None))) as tx:
                tx.save(item, condition=M.ent_code.does_not_exist())  # the first acceptance is the record
                if enablement.ent_uscc:
                    tx.save(
                        Claim(ent_code=uscc_claim_key(enablement.ent_uscc), claimed_by=enablement.ent_code),
                        condition=Claim.ent_code.does_not_exist() | (Claim.claimed_by == enablement.ent_code),
                    )
        except TransactWriteError as exc:
            if not any(cancelled_by_condition(exc)):
                raise
            existing = self.get(enablement.ent_code)
            if existing is not None:
                return existing
            raise UniquenessClash() from exc  # only the credit code's claim can have failed
        return enablement
