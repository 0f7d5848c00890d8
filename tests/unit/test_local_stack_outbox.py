"""make run starts a fresh stack, so the outbox starts empty too."""

from __future__ import annotations

from infra.local_stack import _empty_outbox


def test_a_new_start_empties_the_outbox_but_keeps_its_folders_and_unrelated_files(tmp_path):
    (tmp_path / "email").mkdir()
    (tmp_path / "sms").mkdir()
    (tmp_path / "email" / "old.eml").write_text("yesterday")
    (tmp_path / "sms" / "old.txt").write_text("yesterday")
    (tmp_path / "notes.md").write_text("mine")

    _empty_outbox(tmp_path)

    assert list((tmp_path / "email").iterdir()) == [] and list((tmp_path / "sms").iterdir()) == []
    assert (tmp_path / "notes.md").read_text() == "mine"


def test_a_missing_outbox_is_no_error(tmp_path):
    _empty_outbox(tmp_path / "absent")
