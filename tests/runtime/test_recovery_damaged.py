"""A damaged state file never stops a start: a warning says recovery failed, the show runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_persist import FakeDmx, lighting_show
from test_recovery import crashed_state

from cuebridge.core.commands import Go
from cuebridge.core.events import CueStarted
from cuebridge.runtime import recovery
from cuebridge.runtime.clock import FakeClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.persist import MARKER_FILE, STATE_FILE, PersistenceService


def start(tmp_path: Path) -> tuple[Daemon, PersistenceService]:
    service = PersistenceService(tmp_path, interval=0.01)
    daemon = Daemon(lighting_show(), {"lx": FakeDmx()}, FakeClock(50.0), (service,))
    service.prepare(daemon)
    return daemon, service


def assert_started_fresh(daemon: Daemon, service: PersistenceService, tmp_path: Path) -> str:
    (notice,) = daemon.notices.items()
    assert notice.level == "warning"
    assert notice.topic == "recovery"
    assert notice.message.startswith("could not recover: ")
    assert notice.message.endswith("; starting fresh")
    assert service.recovered == notice.message
    assert daemon.loop.snapshot().lists[0].standby == "1"
    assert (tmp_path / MARKER_FILE).exists()  # this run is marked as running all the same
    outcome = daemon.loop.step(Go())
    assert [e.number for e in outcome.events if isinstance(e, CueStarted)] == ["1"]
    return notice.message


def test_an_absurd_saved_time_is_reported_and_the_show_starts_fresh(tmp_path: Path) -> None:
    crashed_state(tmp_path)
    path = tmp_path / STATE_FILE
    data = json.loads(path.read_bytes())
    data["saved_at"] = 1e20  # datetime.fromtimestamp raises OverflowError/ValueError
    path.write_text(json.dumps(data))
    daemon, service = start(tmp_path)
    assert_started_fresh(daemon, service, tmp_path)


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"version": 1, "standby": 3}', b"\xff\xfe", b"[" * 100_000]
)
def test_an_unreadable_state_file_is_reported_not_silently_dropped(
    tmp_path: Path, content: bytes
) -> None:
    crashed_state(tmp_path)
    (tmp_path / STATE_FILE).write_bytes(content)
    daemon, service = start(tmp_path)
    assert_started_fresh(daemon, service, tmp_path)


def test_any_recovery_bug_is_contained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise KeyError("bug")

    monkeypatch.setattr(recovery, "recover", broken)
    crashed_state(tmp_path)
    daemon, service = start(tmp_path)
    assert "bug" in assert_started_fresh(daemon, service, tmp_path)
