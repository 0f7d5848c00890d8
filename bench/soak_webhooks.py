"""make soak's subscribers: one webhook receiver per enterprise, on 127.0.0.1, recording every POST;
each misbehaves on the run's seeded schedule (answers 500, or hangs past the sender's time-out), at
most `max_failures` times for one event, so that the service's retries (10 s, then 1 min) end with
every event delivered; and the checks on what they got (bench/soak.py calls them).

A receiver records a POST when it arrives, before it answers: a hanging receiver got the message,
the sender gave up on it and sends it again with the same event id, as a subscriber's system sees it.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EVENT_TYPES = ["smart_status_changed", "customs_receipt", "receipt_overdue"]
SENDER_TIMEOUT_SECONDS = 5  # chalicelib.adapters.webhook_sender.WebhookSender's default


def state_of(event: dict[str, Any]) -> str:
    """The state an event announces: the smart status, the receipt's channel, or overdue."""
    data = event.get("data") or {}
    if event.get("event_type") == "customs_receipt":
        return f"receipt:{data.get('channel')}"
    if event.get("event_type") == "smart_status_changed":
        return f"smart:{data.get('smart_status')}"
    return str(event.get("event_type"))


@dataclass
class Post:
    ent_code: str
    event_id: str
    event_type: str
    seq_no: str
    state: str
    at: float  # time.time() when it arrived
    answer: str  # ok | 500 | hang
    signed: bool


class WebhookSchedule:
    """When the receivers misbehave: one generator seeded from the run's seed, drawn once per POST
    (under a lock: the draws' order is the deliveries' order, which the single-threaded soak keeps),
    each fault logged with the run's fault log."""

    def __init__(
        self,
        seed: int,
        error_rate: float,
        hang_rate: float,
        note: Callable[..., None],
        active: Callable[[], bool] = lambda: True,
        max_failures: int = 2,
        hang_seconds: float = SENDER_TIMEOUT_SECONDS + 0.5,
    ) -> None:
        self.random = random.Random(f"webhooks-{seed}")
        self.error_rate, self.hang_rate, self.max_failures = error_rate, hang_rate, max_failures
        self.hang_seconds = hang_seconds
        self.note, self.active = note, active  # the run's faults stop when the run settles
        self._failed: Counter = Counter()  # (ent, event id) -> failing answers given
        self._lock = threading.Lock()

    def answer(self, ent_code: str, event_id: str) -> str:
        with self._lock:
            if not self.active() or self._failed[(ent_code, event_id)] >= self.max_failures:
                return "ok"
            roll = self.random.random()
            if roll < self.hang_rate:
                kind = "hang"
            elif roll < self.hang_rate + self.error_rate:
                kind = "500"
            else:
                return "ok"
            self._failed[(ent_code, event_id)] += 1
        self.note(f"webhook_{kind}", ent_code=ent_code, event_id=event_id)
        return kind


class Receiver:
    """One enterprise's webhook endpoint: verifies the signature, records, answers as scheduled."""

    def __init__(self, ent_code: str, schedule: WebhookSchedule) -> None:
        # imported here: chalicelib's logger is made at import, after bench's quiet_environment()
        from chalicelib.adapters.webhook_sender import HEADER_EVENT_ID, verify

        self.ent_code, self.schedule = ent_code, schedule
        self.secret = ""
        self.posts: list[Post] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.time()
                event = json.loads(body or b"{}")
                event_id = self.headers.get(HEADER_EVENT_ID, "")
                answer = receiver.schedule.answer(receiver.ent_code, event_id)
                receiver.posts.append(
                    Post(
                        receiver.ent_code,
                        event_id,
                        str(event.get("event_type")),
                        str(event.get("seq_no")),
                        state_of(event),
                        at,
                        answer,
                        verify(receiver.secret, dict(self.headers), body),
                    )
                )
                if answer == "hang":
                    time.sleep(receiver.schedule.hang_seconds)
                code = 500 if answer == "500" else 204
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up while we hung
                    pass

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{ent_code}"
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name=f"receiver-{ent_code}", daemon=True
        ).start()

    def got(self) -> set[str]:
        """The event ids received (de-duplicated), answered or not: the subscriber has them."""
        return {p.event_id for p in self.posts}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Published:
    """What SNS got (the publish function's PublishBatch calls) and what the outbox committed (the
    log items the publish function read), by event id."""

    times: Counter = field(default_factory=Counter)  # event id -> PublishBatch entries naming it
    ent_of: dict[str, str] = field(default_factory=dict)
    committed: dict[str, str] = field(default_factory=dict)  # event id -> ent code
    records: set[str] = field(default_factory=set)  # stream sequence numbers seen

    def sns_call(self, service: str, op: str, params: dict, parsed: dict) -> None:
        """The request counter's hook: after each AWS call."""
        if service != "sns" or op != "PublishBatch":
            return
        refused = {f["Id"] for f in parsed.get("Failed") or []}
        for entry in params.get("PublishBatchRequestEntries", []):
            if entry["Id"] in refused:
                continue
            event = json.loads(json.loads(entry["Message"])["default"])
            self.times[event["event_id"]] += 1
            self.ent_of[event["event_id"]] = entry["MessageAttributes"]["ent_code"]["StringValue"]

    def read(self, sequence_number: str, events: Iterable[Any]) -> None:
        """The publish function read a committed log item (once per stream record, retries aside)."""
        if sequence_number in self.records:
            return
        self.records.add(sequence_number)
        for event in events:
            for code in event.ent_codes:
                self.committed[event.event_id] = code


def check(
    receivers: dict[str, Receiver],
    published: Published,
    seq_nos_of: dict[str, set[str]],
    published_as: str = "every event committed is published once (SNS got it once, no other)",
) -> list[dict[str, Any]]:
    """The invariants on events and subscribers: each committed event published once; each
    receiver got its enterprise's events only, every one of them, one per declaration and state
    once de-duplicated by event id; redeliveries only after a failed answer."""
    twice = [e for e, n in published.times.items() if n > 1]
    unpublished = [e for e in published.committed if e not in published.times]
    uncommitted = [e for e in published.times if e not in published.committed]
    foreign, missing, extra, unsigned = [], [], [], []
    per_state: dict[tuple[str, str], set[str]] = defaultdict(set)
    redelivered = unexplained = 0
    for ent_code, receiver in receivers.items():
        own = seq_nos_of.get(ent_code, set())
        foreign += [p.seq_no for p in receiver.posts if p.seq_no not in own]
        unsigned += [p.event_id for p in receiver.posts if not p.signed]
        expected = {e for e, code in published.ent_of.items() if code == ent_code}
        got = receiver.got()
        missing += sorted(expected - got)
        extra += sorted(got - expected)
        by_id: dict[str, list[Post]] = defaultdict(list)
        for post in receiver.posts:
            by_id[post.event_id].append(post)
            per_state[(post.seq_no, post.state)].add(post.event_id)
        for posts in by_id.values():
            redelivered += len(posts) - 1
            # a POST again is explained when the one before it was answered 500 or hung
            unexplained += sum(1 for before, _ in zip(posts, posts[1:], strict=False) if before.answer == "ok")
    more_than_one = {f"{s} {st}": sorted(ids) for (s, st), ids in per_state.items() if len(ids) > 1}
    return [
        {
            "invariant": published_as,
            "held": not twice and not unpublished and not uncommitted,
            "found": {
                "committed": len(published.committed),
                "published": len(published.times),
                "published_twice": twice[:5],
                "never_published": unpublished[:5],
                "published_not_committed": uncommitted[:5],
            },
        },
        {
            "invariant": "each webhook receiver got only its enterprise's declarations",
            "held": not foreign and not unsigned,
            "found": {"foreign": foreign[:5], "bad_signature": unsigned[:5]},
        },
        {
            "invariant": "subscribers got every event once de-duplicated by id; one per declaration and state",
            "held": not missing and not extra and not more_than_one,
            "found": {
                "missing": missing[:5],
                "not_published": extra[:5],
                "several_ids_for_one_state": dict(list(more_than_one.items())[:5]),
                "posts": sum(len(r.posts) for r in receivers.values()),
                "redelivered": redelivered,
                "redelivered_without_a_failure_before": unexplained,
            },
        },
    ]


def latencies(receivers: dict[str, Receiver], written_at: dict[tuple[str, str], float]) -> list[float]:
    """Receipt → subscriber: the simulator's time of writing each receipt to the first POST of its
    customs_receipt event at the enterprise's receiver."""
    first: dict[tuple[str, str], float] = {}
    for receiver in receivers.values():
        for post in receiver.posts:
            if post.event_type == "customs_receipt":
                key = (post.seq_no, post.state.removeprefix("receipt:"))
                first[key] = min(first.get(key, post.at), post.at)
    return sorted(first[k] - written_at[k] for k in first if k in written_at)
