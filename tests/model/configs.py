"""The configurations the model is checked in (tests/model/spin.py; docs/model.md explains them)."""

from __future__ import annotations

from tests.model.spin import FIXES, Config

CONFIGS: tuple[Config, ...] = (
    Config(
        "agent",
        "the agent dies at every step (once per run, anywhere), a lease runs out under a slow agent",
        faults={"AGENT_CRASHES": 1, "SLOW_LEASES": 1, "ACK_LOSSES": 1},
        flags=("NO_RECEIPTS", *FIXES),
    ),
    Config(
        "client",
        "the client moves each try to FailBox (t-1, t-2, t-3: the agent gives up), the agent dies once",
        faults={"CLIENT_FAILS": 3, "AGENT_CRASHES": 1},
        flags=("NO_RECEIPTS", *FIXES),
        fair=False,
    ),
    Config(
        "submission",
        "a submit invocation dies at each step (its message comes back), two invocations at once",
        faults={"LAMBDA_CRASHES": 1},
        flags=("NO_RECEIPTS", *FIXES),
    ),
    Config(
        "redelivery",
        "SQS delivers the submit message twice: two invocations of one message race for the lease",
        faults={"REDELIVERIES": 1},
        flags=("NO_RECEIPTS", *FIXES),
    ),
    Config(
        "deadline",
        "an invocation dies, the claim's deadline passes (timed out), a second batch claims it again",
        faults={"LAMBDA_CRASHES": 1, "DEADLINES": 1},
        flags=("NO_RECEIPTS", *FIXES),
        fair=False,
    ),
    Config(
        "receipts",
        "DEC_RESULT receipts in any order, one twice, before the answer (parked); an API invocation dies after "
        "its commit; the agent dies",
        faults={"RECEIPT_DUPS": 1, "API_DEATHS": 1, "AGENT_CRASHES": 1},
        flags=FIXES,
        fair=False,
    ),
    Config(
        "resend",
        "a refusal, a person's continue, the second send (t-4…t-6), with a try failing",
        faults={"CONTINUES": 1, "CLIENT_FAILS": 1},
        flags=("MAXSEND=2", "NO_RECEIPTS", *FIXES),
        fair=False,
    ),
    Config(
        "http",
        "the HTTP channel: lookup before declare, an invocation dying, SQS twice, receipts POSTed until answered",
        faults={"LAMBDA_CRASHES": 1, "REDELIVERIES": 1, "RECEIPT_DUPS": 1, "API_DEATHS": 1},
        flags=("HTTP",),
        fair=False,
    ),
    Config(
        "broken",
        "the agent without its journal check (_take_one writes every hand-out): spin must find a second send",
        faults={"SLOW_LEASES": 1, "ACK_LOSSES": 2},
        flags=("BROKEN_NO_JOURNAL_CHECK", "NO_RECEIPTS", *FIXES),
        claims=(),
        fails=True,
        shows="customs_got[",
    ),
    # What the model found in the code as built: each repair above (FIXES) is needed; without it,
    # spin shows how the protocol breaks (docs/model.md, "What the model found").
    Config(
        "found_resend",
        "as built: a redelivered submission, leased before the answer came, puts a second send without continue",
        faults={"LAMBDA_CRASHES": 1},
        flags=("NO_RECEIPTS", "FIX_NEXT_SEND_ANSWER", "FIX_UNPARK_ON_DUPLICATE", "FIX_STAGED_SAME_CLAIM"),
        claims=(),
        fails=True,
        shows="sends<1",
    ),
    Config(
        "found_unpark",
        "as built: the answer's invocation dies before _unpark; its repeat is a duplicate, parked receipts stay parked",
        faults={"API_DEATHS": 1},
        flags=("FIX_SEND_AFTER_ANSWER", "FIX_NEXT_SEND_ANSWER", "FIX_STAGED_SAME_CLAIM"),
        claims=(),
        fails=True,
        shows="rec_applied[",
    ),
    Config(
        "found_next",
        "as built: send 2's answer before lifecycle.handed_over(2) is kept; the declaration waits for ever",
        faults={"CONTINUES": 1},
        flags=("MAXSEND=2", "NO_RECEIPTS", "FIX_SEND_AFTER_ANSWER", "FIX_UNPARK_ON_DUPLICATE", "FIX_STAGED_SAME_CLAIM"),
        claims=(),
        fails=True,
        shows="smart!=smart_in_progress",
    ),
    Config(
        "found_stale",
        "as built: a submission's staged handed_over, committed after an answer, a continue and a new claim: "
        "the declaration waits for an answered send",
        faults={"CONTINUES": 1},
        flags=("MAXSEND=2", "NO_RECEIPTS", "FIX_SEND_AFTER_ANSWER", "FIX_UNPARK_ON_DUPLICATE", "FIX_NEXT_SEND_ANSWER"),
        claims=(),
        fails=True,
        shows="smart!=smart_in_progress",
    ),
)
