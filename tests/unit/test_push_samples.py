"""docs/push.md's message samples are what the catalogue says today."""

from __future__ import annotations

import importlib.util

from tests.factories import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("push_samples", ROOT / "scripts" / "push_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _between(text: str, name: str) -> str:
    return text.split(f"<!-- {name}:begin -->\n", 1)[1].split(f"<!-- {name}:end -->", 1)[0]


def test_docs_push_shows_each_message_kind_in_short_as_the_catalogue_renders_it():
    doc = (ROOT / "docs" / "push.md").read_text(encoding="utf-8")

    assert _between(doc, "push-table") == _script().table(), "run scripts/push_samples.py --table"


def test_docs_push_shows_each_message_in_both_languages_as_the_catalogue_renders_it():
    doc = (ROOT / "docs" / "push.md").read_text(encoding="utf-8")

    assert _between(doc, "push-samples") == _script().samples(), "run scripts/push_samples.py"
