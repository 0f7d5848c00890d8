"""The customs channel's protocol, model-checked with spin (model/channel.pml; docs/model.md).

Each configuration is one spin search (seconds): the protocol holds under its faults, and each broken
or as-built variant gives spin's counterexample. The model's names are the code's: a state of the
domain missing from the model, or a step citing code that is gone, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.domain.declaration_status import DeclarationStatus
from chalicelib.domain.exchange import HANDOVER_WORDS, Answer, SendState
from chalicelib.domain.smart_status import SmartStatus
from smartdecl_agent import journal
from tests.model.configs import CONFIGS
from tests.model.spin import MODEL, check

ROOT = Path(__file__).resolve().parents[2]
TEXT = MODEL.read_text(encoding="utf-8")
IDENTIFIERS = set(re.findall(r"\b[a-z_]+\b", TEXT))


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_model_holds_or_shows_its_counterexample(config):
    runs = check(config)
    found = [r for r in runs if r.errors]
    if config.fails:
        assert found, f"{config.name}: spin found no counterexample ({config.about})"
        assert config.shows in found[0].trail, found[0].trail
    else:
        assert not found, f"{config.name} ({config.about}):\n{found[0].trail or found[0].output}"
        assert all(r.states > 0 for r in runs), [r.output for r in runs]


@pytest.mark.parametrize(
    "prefix, values",
    [
        ("smart", [s.value for s in SmartStatus]),
        ("status", [s.value for s in DeclarationStatus]),
        ("send", [s.value for s in SendState]),
        ("send", [str(s) for s in HANDOVER_WORDS]),  # the declaration's handover states
        ("answer", [a.value for a in Answer]),
        ("journal", list(journal.STATES)),
    ],
)
def test_every_lifecycle_state_of_the_domain_is_in_the_model(prefix, values):
    missing = [f"{prefix}_{v}" for v in values if f"{prefix}_{v}" not in IDENTIFIERS]
    assert not missing, f"model/channel.pml does not model {missing}: add them (docs/model.md)"


def _defined(module: str, name: str) -> bool:
    source = (ROOT / module).read_text(encoding="utf-8")
    n = re.escape(name)  # a function, a class, or a field (Send.state)
    return re.search(rf"^\s*(async\s+)?def {n}\b|^\s*class {n}\b|^\s+{n}: ", source, re.M) is not None


CITED = {
    "lifecycle": "chalicelib/domain/lifecycle.py",
    "Agent": "smartdecl_agent/agent.py",
    "Send": "chalicelib/domain/exchange.py",
    "exchange_inbox": "chalicelib/services/exchange_inbox.py",
    "ExchangeCustomsGateway": "chalicelib/adapters/exchange_gateway.py",
    "Journal": "smartdecl_agent/journal.py",
}


def test_every_step_cites_code_that_exists():
    cited = set(
        re.findall(r"\b(lifecycle|Agent|Send|exchange_inbox|ExchangeCustomsGateway|Journal)\.(_?[a-z_]+)\b", TEXT)
    )
    assert len(cited) > 15
    gone = sorted(f"{owner}.{name}" for owner, name in cited if not _defined(CITED[owner], name))
    assert not gone, f"model/channel.pml cites code that is not there: {gone}"
