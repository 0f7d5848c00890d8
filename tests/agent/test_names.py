"""The client's file names and the zip, in their real shapes."""

from __future__ import annotations

import zipfile
from datetime import datetime

import pytest

from smartdecl_agent.names import OutgoingName, is_partial, parse_outgoing
from smartdecl_agent.package import UnreadableZip, build_zip, read_message, sha256


@pytest.mark.parametrize(
    "name,parsed",
    [
        ("I_I20240000000000001_t-1.zip", OutgoingName("I", "I20240000000000001", 1)),
        ("E_E20240000000000002_t-3.zip", OutgoingName("E", "E20240000000000002", 3)),
        ("I_123456_t-12.xml", OutgoingName("I", "123456", 12)),
    ],
)
def test_an_outgoing_name_carries_direction_client_seq_no_and_try(name, parsed):
    assert parse_outgoing(name) == parsed
    assert (parsed.zip_name if name.endswith(".zip") else parsed.xml_name) == name


@pytest.mark.parametrize(
    "name",
    [
        "Successed_I_12121_t-2_202408191442314383412",  # the client's answer, not ours
        "Failed_I_12121_t-1_20240819144231",
        "I_I2024_t-0.zip",  # tries count from 1
        "X_I2024_t-1.zip",
        "I_I2024_t-1.zip~2",  # an archived repeat
        "desktop.ini",
    ],
)
def test_anything_else_is_not_an_outgoing_file(name):
    assert parse_outgoing(name) is None


def test_the_next_try_keeps_the_declaration_and_counts_on():
    assert OutgoingName("I", "I2024", 1).next_try().zip_name == "I_I2024_t-2.zip"


@pytest.mark.parametrize(
    "name,partial",
    [
        ("Successed_I_1_t-1_20240819144231.tmp", True),
        ("Receipt_X_L_1.xml.TMP", True),
        ("~smartdecl-I_1_t-1.zip.part", True),
        ("Successed_I_1_t-1_20240819144231", False),
    ],
)
def test_files_still_being_written_are_recognised(name, partial):
    assert is_partial(name) is partial


def test_the_zip_holds_one_entry_named_for_the_try_and_is_the_same_bytes_every_time(tmp_path):
    message = b'<?xml version="1.0" encoding="UTF-8"?><DecMessage><DecHead/></DecMessage>'
    name = OutgoingName("I", "I20240000000000001", 2)
    stamped = datetime(2024, 3, 20, 10, 0, 5)
    data = build_zip(message, name, stamped)
    assert data == build_zip(message, name, stamped)  # a write finished after a crash is the same file
    path = tmp_path / name.zip_name
    path.write_bytes(data)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["I_I20240000000000001_t-2.xml"]
        assert archive.getinfo("I_I20240000000000001_t-2.xml").date_time == (2024, 3, 20, 10, 0, 4)  # 2 s steps
    assert read_message(path) == message and sha256(message) == sha256(read_message(path))


def test_a_file_that_is_not_one_of_our_zips_is_unreadable(tmp_path):
    path = tmp_path / "I_X_t-1.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(UnreadableZip):
        read_message(path)
