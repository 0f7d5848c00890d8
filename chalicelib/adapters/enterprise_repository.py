"""DynamoEnterpriseRepository: enablement records, written once per enterprise."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.domain.enablement import Enablement
from chalicelib.services.ports import EnterpriseRepository

from .dynamo_models import EnterpriseModel as M


class DynamoEnterpriseRepository(EnterpriseRepository):
    def get(self, ent_code: str) -> Enablement | None:
        try:
            item = M.get(ent_code)
        except DoesNotExist:
            return None
        return Enablement(item.ent_code, item.ent_uscc, item.accepted_by, item.accepted_at, item.notice_version)

    def enable(self, enablement: Enablement) -> Enablement:
        item = M(ent_code=enablement.ent_code, ent_uscc=enablement.ent_uscc, accepted_by=enablement.accepted_by,
                 accepted_at=enablement.accepted_at, notice_version=enablement.notice_version)
        try:
            item.save(condition=M.ent_code.does_not_exist())  # the first acceptance is the record
        except PutError as exc:
            if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
            return self.get(enablement.ent_code) or enablement
        return enablement
