"""Playback state on disk: atomic, debounced saves of standby, running cues and DMX levels."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from cuebridge.core.commands import Go, StandbyNext, StandbyPrevious
from cuebridge.core.effects import Effect, StartFade
from cuebridge.core.model import Action, Cue, CueList, Device, Show, ShowSettings
from cuebridge.drivers.base import DeviceStatus
from cuebridge.runtime.clock import FakeClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.notices import Notice
from cuebridge.runtime.persist import (
    MARKER_FILE,
    STATE_FILE,
    LevelKeeper,
    PersistenceService,
    PlaybackState,
    StateStore,
    write_atomic,
)


class FakeDmx:
    """A level-keeping output: `level` effects set one slot, scaled 0-100 to 0-255."""

    def __init__(self, name: str = "lx") -> None:
        self.name = name
        self.status = DeviceStatus.OK
        self.universes: dict[int, bytearray] = {}
        self.sent: list[Effect] = []
        self.restored: dict[int, bytes] | None = None

    async def start(self) -> None:
        pass

    def send(self, effect: Effect) -> None:
        self.sent.append(effect)
        params = {**effect.params, **(effect.end if isinstance(effect, StartFade) else {})}
        slots = self.universes.setdefault(int(params["universe"]), bytearray(512))
        slots[int(params["address"]) - 1] = round(float(params["level"]) * 2.55)

    def levels(self) -> Mapping[int, bytes]:
        return {universe: bytes(slots) for universe, slots in self.universes.items()}

    def restore_levels(self, levels: Mapping[int, bytes]) -> None:
        self.restored = dict(levels)
        self.universes = {universe: bytearray(data) for universe, data in levels.items()}

    async def aclose(self) -> None:
        pass


def lx(level: float, address: int = 1) -> Action:
    return Action(
        device="lx", action="level", params={"universe": 1, "address": address, "level": level}
    )


def lighting_show(source: str = "show.yaml") -> Show:
    cues = tuple(Cue(number=str(n), actions=(lx(n * 10.0, n),)) for n in range(1, 7))
    return Show(
        title="Persist",
        cue_lists=(CueList(id="main", name="Main", cues=cues),),
        devices={"lx": Device(name="lx", profile="generic-sacn", connection={})},
        settings=ShowSettings(min_go_interval=0.0),
        source=source,
    )


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for `condition` to hold, checking as the loop turns."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - files and counters have no event to await
            await asyncio.sleep(0.005)


def saved(state_dir: Path) -> dict[str, object]:
    try:
        data = json.loads((state_dir / STATE_FILE).read_bytes())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    assert isinstance(data, dict)
    return data


def test_state_round_trips_through_json() -> None:
    state = PlaybackState(
        show="/shows/a.yaml",
        saved_at=1_700_000_000.5,
        standby={"main": "5", "sound": None},
        running=("3", "4"),
        disarmed=("9",),
        levels={"lx": {1: bytes(range(256)) * 2, 7: bytes(512)}},
    )
    assert PlaybackState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_a_damaged_or_foreign_state_file_is_ignored(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert store.load() is None
    for damaged in (b"{not json", b'{"version": 99}', b'{"version": 1, "standby": 3}'):
        (tmp_path / STATE_FILE).write_bytes(damaged)
        assert store.load() is None


def test_atomic_write_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_the_fake_output_is_a_level_keeper() -> None:
    assert isinstance(FakeDmx(), LevelKeeper)


async def test_saves_as_playback_changes_and_marks_a_clean_stop(tmp_path: Path) -> None:
    dmx = FakeDmx()
    service = PersistenceService(tmp_path, interval=0.02)
    daemon = Daemon(lighting_show(), {"lx": dmx}, FakeClock(100.0), (service,))
    assert service.prepare(daemon) is None  # nothing to recover
    assert (tmp_path / MARKER_FILE).exists()
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    daemon.loop.submit(Go(source="test"))
    daemon.loop.submit(Go(source="test"))
    await until(lambda: saved(tmp_path).get("standby") == {"main": "3"})
    state = PlaybackState.from_json(saved(tmp_path))
    assert state.levels["lx"][1][:3] == bytes([26, 51, 0])
    assert state.show == "show.yaml"
    assert abs(state.saved_at - time.time()) < 60
    daemon.request_stop()
    await task
    assert not (tmp_path / MARKER_FILE).exists()
    assert saved(tmp_path)["standby"] == {"main": "3"}


async def test_a_burst_of_changes_is_debounced_into_few_writes(tmp_path: Path) -> None:
    service = PersistenceService(tmp_path, interval=0.2)
    daemon = Daemon(lighting_show(), {"lx": FakeDmx()}, FakeClock(), (service,))
    service.prepare(daemon)
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    await until(lambda: service.saves == 1)  # the starting state
    for _ in range(20):
        daemon.loop.submit(StandbyNext(source="test"))
        daemon.loop.submit(StandbyPrevious(source="test"))
    daemon.loop.submit(StandbyNext(source="test"))
    await until(lambda: saved(tmp_path).get("standby") == {"main": "2"})
    assert service.saves <= 3  # 41 standby moves, a 0.2 s debounce
    daemon.request_stop()
    await task


async def test_a_failing_save_is_a_notice_once_and_the_show_goes_on(tmp_path: Path) -> None:
    blocked = tmp_path / "state"
    service = PersistenceService(blocked, interval=0.01)
    dmx = FakeDmx()
    daemon = Daemon(lighting_show(), {"lx": dmx}, FakeClock(), (service,))
    posted: list[Notice] = []
    daemon.notices.add_listener(posted.append)
    service.prepare(daemon)
    (blocked / STATE_FILE).mkdir()  # a directory where the file goes: the rename fails
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    await until(lambda: bool(posted))
    for attempts in range(1, 6):
        daemon.loop.submit(StandbyNext(source="test"))
        await until(lambda n=attempts: service.attempts > n)
    daemon.loop.submit(Go(source="test"))
    await until(lambda: bool(dmx.sent))
    assert [(n.topic, n.level) for n in posted] == [("persist", "error")]
    assert "cannot save the playback state" in posted[0].message
    daemon.request_stop()
    await task
    assert [p.name for p in blocked.iterdir()] == [STATE_FILE]  # no temporary file left


async def test_an_unwritable_state_directory_is_a_notice_not_a_failed_start(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "state"
    blocked.write_text("a file where the state directory should be")
    dmx = FakeDmx()
    service = PersistenceService(blocked, interval=0.01)
    daemon = Daemon(lighting_show(), {"lx": dmx}, FakeClock(), (service,))
    assert service.prepare(daemon) is None
    (notice,) = daemon.notices.items()
    assert (notice.topic, notice.level) == ("persist", "error")
    assert "no crash recovery for this run" in notice.message
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    daemon.loop.submit(Go(source="test"))
    await until(lambda: bool(dmx.sent))
    daemon.request_stop()
    await task  # a clean stop, although nothing could be saved
