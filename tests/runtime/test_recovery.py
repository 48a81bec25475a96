"""Crash recovery in-process: standby and levels come back, nothing fires, operators are told."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from pathlib import Path

from test_persist import FakeDmx, lighting_show, lx, saved, until

from cuebridge.core.commands import Go
from cuebridge.core.engine import Outcome
from cuebridge.core.events import CueStarted
from cuebridge.core.model import ContinueMode, Cue, CueList, Show, ShowSettings
from cuebridge.runtime.clock import FakeClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.persist import MARKER_FILE, PersistenceService, PlaybackState, StateStore

SAVED_AT = time.time() - 120.0


def crashed_state(tmp_path: Path, **changes: object) -> None:
    """What a crashed run leaves behind: its last state and its running marker."""
    fields: dict[str, object] = {
        "show": "show.yaml",
        "saved_at": SAVED_AT,
        "standby": {"main": "5"},
        "running": ("4",),
        "disarmed": (),
        "levels": {"lx": {1: bytes([10, 20, 30]) + bytes(509)}},
    }
    fields.update(changes)
    store = StateStore(tmp_path)
    store.save(PlaybackState(**fields))  # type: ignore[arg-type]
    store.mark_running()


def standby(daemon: Daemon) -> str | None:
    return daemon.loop.snapshot().lists[0].standby


def start(tmp_path: Path, show: Show, *, recover_levels: bool = True) -> tuple[Daemon, FakeDmx]:
    dmx = FakeDmx()
    service = PersistenceService(tmp_path, recover_levels=recover_levels, interval=0.01)
    daemon = Daemon(show, {"lx": dmx}, FakeClock(50.0), (service,))
    service.prepare(daemon)
    return daemon, dmx


def test_an_unclean_stop_brings_back_standby_and_levels_and_says_so(tmp_path: Path) -> None:
    crashed_state(tmp_path)
    daemon, dmx = start(tmp_path, lighting_show())
    assert standby(daemon) == "5"
    assert dmx.restored == {1: bytes([10, 20, 30]) + bytes(509)}
    assert dmx.sent == []  # restored as levels, not replayed as cues
    (notice,) = daemon.notices.items()
    stamp = datetime.fromtimestamp(SAVED_AT).strftime("%H:%M:%S")
    assert notice.topic == "recovery"
    assert notice.level == "warning"
    assert notice.message.startswith(f"recovered after an unclean stop at {stamp}; standby 5")
    assert "running then: 4 (not restarted)" in notice.message
    assert "lighting levels restored on lx" in notice.message
    assert re.search(r"\d\d:\d\d:\d\d", notice.message)


def test_levels_stay_dark_when_recovery_of_levels_is_off(tmp_path: Path) -> None:
    crashed_state(tmp_path)
    daemon, dmx = start(tmp_path, lighting_show(), recover_levels=False)
    assert standby(daemon) == "5"
    assert dmx.restored is None
    assert "lighting levels not restored" in daemon.notices.items()[0].message


def test_a_clean_stop_starts_from_the_top(tmp_path: Path) -> None:
    crashed_state(tmp_path)
    (tmp_path / MARKER_FILE).unlink()  # the last run shut down cleanly
    daemon, dmx = start(tmp_path, lighting_show())
    assert standby(daemon) == "1"
    assert dmx.restored is None
    assert daemon.notices.items() == ()


def test_another_show_is_not_recovered_into(tmp_path: Path) -> None:
    crashed_state(tmp_path, show="other.yaml")
    daemon, dmx = start(tmp_path, lighting_show())
    assert standby(daemon) == "1"
    assert dmx.restored is None
    assert "another show (other.yaml); nothing recovered" in daemon.notices.items()[0].message


def test_a_standby_cue_the_file_lost_moves_to_the_next_number(tmp_path: Path) -> None:
    crashed_state(tmp_path, standby={"main": "4.5"}, disarmed=("5",))
    daemon, _ = start(tmp_path, lighting_show())
    assert standby(daemon) == "6"
    assert "5" in daemon.loop.snapshot().disarmed
    assert "standby 6 (cue 4.5 is no longer in the show)" in daemon.notices.items()[0].message


async def test_no_cue_fires_by_itself_after_recovery(tmp_path: Path) -> None:
    follow = tuple(
        Cue(number=str(n), actions=(lx(n * 10.0, n),), continue_mode=ContinueMode.AUTO_FOLLOW)
        for n in range(1, 6)
    )
    show = Show(
        title="Follow",
        cue_lists=(CueList(id="main", name="Main", cues=follow),),
        settings=ShowSettings(min_go_interval=0.0),
        source="show.yaml",
    )
    crashed_state(tmp_path, standby={"main": "3"}, running=("2",))
    daemon, dmx = start(tmp_path, show)
    outcomes: list[Outcome] = []
    daemon.loop.add_listener(outcomes.append)
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    await until(lambda: float(str(saved(tmp_path).get("saved_at", 0))) > SAVED_AT + 60)
    assert standby(daemon) == "3"
    assert dmx.sent == []
    assert daemon.loop.engine.next_deadline() is None
    assert not [e for o in outcomes for e in o.events if isinstance(e, CueStarted)]
    daemon.loop.submit(Go(source="test"))  # the operator's GO is what fires cue 3
    await until(lambda: bool(dmx.sent))
    assert next(e.cue for e in dmx.sent) == "3"
    daemon.request_stop()
    await task
