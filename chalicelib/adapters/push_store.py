"""DynamoDB push bookkeeping (the `push` table): one SMS per declaration and state, SMS per number
and window, e-mail digest entries and the digests due each hour. Every write is conditional or
idempotent; every read is a Query by key."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.domain.sms import RateLimits

from .conditions import condition_failed
from .dynamo_models import PushModel

SMS_CLAIM_DAYS = 30  # a declaration's states are over long before this
DIGEST_DAYS = 3


def _expires(now: datetime, days: int) -> int:
    return int((now + timedelta(days=days)).timestamp())


class DynamoPushStore:
    # ---- once per declaration and state -----------------------------------------------------------

    def claim_sms(self, key: str, event_id: str, now: datetime) -> bool:
        """True when this event may send the SMS of `key`: nobody claimed it, or this same event did
        and has not sent it yet (its earlier delivery crashed). Another event of the same state: False."""
        item = PushModel(pk=key, sk="-", owner=event_id, status="claimed", expires_at=_expires(now, SMS_CLAIM_DAYS))
        try:
            item.save(
                condition=PushModel.pk.does_not_exist()
                | ((PushModel.owner == event_id) & (PushModel.status == "claimed"))
            )
            return True
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise

    def sms_sent(self, key: str) -> None:
        PushModel(pk=key, sk="-").update(actions=[PushModel.status.set("sent")])

    def release_sms(self, key: str, event_id: str) -> None:
        """Given up: let a later event of the same state try again."""
        try:
            PushModel(pk=key, sk="-").delete(condition=PushModel.owner == event_id)
        except Exception:  # noqa: BLE001 - best effort; the claim expires anyway
            pass

    # ---- never an older state after a newer one ---------------------------------------------------------

    def claim_order(self, subscription_id: str, seq_no: str, at: str, rank: int | None, now: datetime) -> bool:
        """Move the subscriber's mark for this declaration to (`at`, `rank`) if neither goes back: True
        when this event may be sent (nothing newer was), False when it is stale. One conditional write."""
        actions: list[Action] = [PushModel.at.set(at), PushModel.expires_at.set(_expires(now, SMS_CLAIM_DAYS))]
        condition = PushModel.at.does_not_exist() | (PushModel.at <= at)
        if rank is not None:
            actions.append(PushModel.rank.set(rank))
            condition &= PushModel.rank.does_not_exist() | (PushModel.rank <= rank)
        try:
            PushModel(pk=f"order#{subscription_id}#{seq_no}", sk="-").update(actions=actions, condition=condition)
            return True
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise

    # ---- flow control per number --------------------------------------------------------------------

    def take_rate(self, phone: str, limits: RateLimits, now: datetime) -> datetime | None:
        """Count one SMS to `phone` in its minute, hour and day; None when all allow it, else when to
        try again (the end of the full window). A full window's count is not raised."""
        for window, limit, end in limits.windows(now):
            try:
                PushModel(pk=f"rate#{phone}", sk=window).update(
                    actions=[PushModel.n.add(1), PushModel.expires_at.set(int(end.timestamp()) + 3600)],
                    condition=PushModel.n.does_not_exist() | (PushModel.n < limit),
                )
            except UpdateError as exc:
                if condition_failed(exc):
                    return end
                raise
        return None

    # ---- digests -------------------------------------------------------------------------------------

    def add_to_digest(
        self, subscription_id: str, ent_code: str, window: str, due_hour: str, event: dict[str, Any], now: datetime
    ) -> None:
        """Keep the event for its window and mark the window due (both idempotent puts)."""
        PushModel(
            pk=f"digest#{subscription_id}#{window}",
            sk=f"{event['occurred_at']}#{event['event_id']}",
            body=json.dumps(event, ensure_ascii=False),
            expires_at=_expires(now, DIGEST_DAYS),
        ).save()
        due = PushModel(
            pk=f"due#{due_hour}",
            sk=f"{subscription_id}#{window}",
            ent_code=ent_code,
            expires_at=_expires(now, DIGEST_DAYS),
        )
        try:
            due.save(condition=PushModel.pk.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise

    def due_digests(self, due_hour: str) -> list[tuple[str, str, str]]:
        """(subscription_id, window, ent_code) of the digests due in that hour and not sent yet."""
        out = []
        for item in PushModel.query(f"due#{due_hour}", consistent_read=True):
            if item.status != "sent":
                subscription_id, window = item.sk.split("#", 1)
                out.append((subscription_id, window, item.ent_code or ""))
        return out

    def digest_events(self, subscription_id: str, window: str) -> list[dict[str, Any]]:
        return [json.loads(i.body) for i in PushModel.query(f"digest#{subscription_id}#{window}", consistent_read=True)]

    def claim_digest(self, due_hour: str, subscription_id: str, window: str) -> bool:
        """True for the one caller that claims it; a second run of the schedule sends nothing twice."""
        try:
            PushModel(pk=f"due#{due_hour}", sk=f"{subscription_id}#{window}").update(
                actions=[PushModel.status.set("sent")],
                condition=PushModel.pk.exists() & PushModel.status.does_not_exist(),
            )
            return True
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise

    def unclaim_digest(self, due_hour: str, subscription_id: str, window: str) -> None:
        """The send failed: the next run tries again."""
        PushModel(pk=f"due#{due_hour}", sk=f"{subscription_id}#{window}").update(actions=[PushModel.status.remove()])
