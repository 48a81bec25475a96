"""The installation's sACN CID: created once, kept, replaced when corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuebridge.drivers.sacn_cid import CID_FILE, load_or_create_cid


def test_cid_is_created_once_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    cid = load_or_create_cid(state)
    assert cid.version == 4
    assert load_or_create_cid(state) == cid
    assert (state / CID_FILE).read_text() == f"{cid}\n"
    assert [p.name for p in state.iterdir()] == [CID_FILE]  # no temporary file left behind


def test_corrupt_cid_file_is_replaced_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / CID_FILE).write_bytes(b"\xffnot a uuid")
    cid = load_or_create_cid(tmp_path)
    assert "does not hold a UUID" in caplog.text
    assert load_or_create_cid(tmp_path) == cid
