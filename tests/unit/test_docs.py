"""The docs people read: the two READMEs say the same in two languages and stay short, the
generated parts are current, and no user-facing page carries the project's history."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from infra import template as cfn
from tests.factories import ROOT

READMES = (ROOT / "README.md", ROOT / "README.zh-CN.md")
USER_FACING = [*READMES, ROOT / "bench" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _headings(text: str) -> list[str]:
    """Each heading's level, with a numbered step's number: the section structure, in any language."""
    out = []
    for line in FENCE.sub("", text).splitlines():
        found = re.match(r"^(#{1,6}) (\d+\.)?", line)
        if found:
            out.append(found.group(1) + (" " + found.group(2) if found.group(2) else ""))
    return out


def _commands(text: str) -> list[str]:
    """Every shell block's lines without their trailing comments (which are translated)."""
    lines = []
    for kind, body in FENCE.findall(text):
        if kind == "sh":
            lines += [re.sub(r"\s{2,}#.*$", "", line).rstrip() for line in body.splitlines() if line.strip()]
    return lines


def _targets(text: str) -> list[str]:
    """Links and images, in order: the same pages, screenshots and addresses in both."""
    addresses = [a.rstrip(".,;:。，") for a in re.findall(r"https?://[^\s)`*，。、）]+", text)]
    return re.findall(r"\]\(([^)]+)\)", text) + addresses


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_readme_is_under_12_kb(readme):
    assert len(readme.read_bytes()) < 12 * 1024


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_readme_shows_the_two_commands_in_its_first_screen(readme):
    first_screen = "\n".join(_text(readme).splitlines()[:30])

    assert "make run" in first_screen and "make test" in first_screen


def test_chinese_readme_has_the_english_ones_sections_commands_and_links():
    english, chinese = (_text(p) for p in READMES)

    assert _headings(chinese) == _headings(english)
    assert _commands(chinese) == _commands(english)
    # each README links the other one; every other link, image and address is the same
    swap = {"README.zh-CN.md": "README.md", "README.md": "README.zh-CN.md"}
    assert sorted(swap.get(t, t) for t in _targets(english)) == sorted(_targets(chinese))


def test_comparison_of_the_readmes_notices_a_command_missing_from_one():
    english = "## A\n\n```sh\nmake run     # run it\nmake test\n```\n"
    chinese = "## 甲\n\n```sh\nmake run     # 运行\n```\n"

    assert _headings(english) == _headings(chinese)
    assert _commands(english) != _commands(chinese)


@pytest.mark.parametrize("page", USER_FACING, ids=lambda p: str(p.relative_to(ROOT)))
def test_user_facing_page_names_no_issue_or_past_session(page):
    found = re.findall(r".{0,30}(?:issue #\d+|session \d+|\(#\d+\)).{0,30}", _text(page), re.I)

    assert not found, f"history belongs in CHANGELOG.md: {found}"


def test_generated_docs_are_what_the_template_and_the_api_say_today():
    stale = [
        str(path.relative_to(ROOT))
        for path, text in _script("generate_docs").outputs().items()
        if not path.exists() or _text(path) != text
    ]

    assert not stale, f"stale: {stale}; run .venv/bin/python scripts/generate_docs.py"


def test_every_alarm_of_the_template_says_what_to_do_in_operations():
    alarms = [name for name, r in cfn.load()["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"]
    sections = re.findall(r"^### (\w+)$", _text(ROOT / "docs" / "operations.md"), re.M)

    assert alarms and sorted(sections) == sorted(alarms)


def test_every_customs_tag_in_the_glossary_is_one_the_message_code_reads_or_writes():
    code = "".join(_text(p) for p in (ROOT / "chalicelib" / "formats").glob("*.py"))
    rows = [line.split("|") for line in _text(ROOT / "docs" / "glossary.md").splitlines() if line.startswith("| ")]
    tags = {tag for row in rows if len(row) > 5 for tag in re.findall(r"`([A-Za-z_]+)`", row[4])}

    assert len(tags) > 40
    assert sorted(t for t in tags if f'"{t}"' not in code) == []


def test_the_parameters_table_lists_every_parameter_of_the_template():
    table = _script("generate_docs").parameters(cfn.load())

    assert [row.split("`")[1] for row in table.splitlines()[2:]] == list(cfn.load()["Parameters"])
