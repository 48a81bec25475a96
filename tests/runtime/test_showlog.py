"""The show log: what it records, that recording never blocks, retention, and a failing disk."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from cuebridge.core.commands import Go, Stop
from cuebridge.core.curves import Curve
from cuebridge.core.effects import Effect, SendAction, StartFade
from cuebridge.core.model import Action, Cue, CueList, Device, Show, ShowSettings
from cuebridge.drivers.base import DeviceStatus
from cuebridge.runtime import showlog, showlog_writer
from cuebridge.runtime.clock import FakeClock, MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.notices import Notice
from cuebridge.runtime.showlog import FILE_NAME, ShowLog, ShowLogService
from cuebridge.runtime.showlog_format import effect_groups
from cuebridge.runtime.showlog_writer import Retention


class Output:
    def __init__(self, name: str) -> None:
        self.name = name
        self.status = DeviceStatus.OK
        self.sent: list[Effect] = []

    async def start(self) -> None:
        pass

    def send(self, effect: Effect) -> None:
        self.sent.append(effect)

    async def aclose(self) -> None:
        pass


def make_show() -> Show:
    fade = Action(
        device="desk",
        action="fader",
        params={"channel": 1, "level": 0.0},
        fade=0.05,
        fade_params=("level",),
        home={"level": -90.0},
    )
    cues = (Cue(number="1", name="Open", actions=(fade,)),)
    return Show(
        title="Log test",
        cue_lists=(CueList(id="main", name="Main", cues=cues),),
        devices={"desk": Device(name="desk", profile="generic-osc", connection={})},
        settings=ShowSettings(min_go_interval=0.0),
    )


def rows(path: Path, where: str = "1") -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(f"SELECT * FROM log WHERE {where} ORDER BY id").fetchall()


@contextlib.asynccontextmanager
async def running(daemon: Daemon, *services: object) -> AsyncIterator[None]:
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(10):
            await daemon.ready.wait()
        yield
    finally:
        daemon.request_stop()
        async with asyncio.timeout(10):
            await task


async def notice_with(daemon: Daemon, topic: str, level: str) -> Notice:
    """Wait for a notice on `topic` at `level` (posted now or later)."""
    found: asyncio.Future[Notice] = asyncio.get_running_loop().create_future()

    def check(notice: Notice) -> None:
        if notice.topic == topic and notice.level == level and not found.done():
            found.set_result(notice)

    for notice in daemon.notices.items():
        check(notice)
    daemon.notices.add_listener(check)
    async with asyncio.timeout(10):
        return await found


async def test_records_commands_events_effects_status_notices_rejections_and_errors(
    tmp_path: Path,
) -> None:
    service = ShowLogService(tmp_path)
    daemon = Daemon(make_show(), {"desk": Output("desk")}, MonotonicClock(), (service,))
    daemon.status_board.report("desk", DeviceStatus.CONNECTING, "built before the log opened")
    log = service.prepare(daemon)
    finished = asyncio.Event()
    daemon.loop.add_listener(
        lambda out: finished.set() if any(type(e).__name__ == "CueFinished" for e in out.events)
        else None
    )  # fmt: skip
    async with running(daemon):
        daemon.loop.submit(Go(source="web:operator@127.0.0.1", role="operator"))
        async with asyncio.timeout(10):
            await finished.wait()
        daemon.loop.submit(Go(source="osc:127.0.0.1:53001", role="operator"))  # end of list
        daemon.loop.submit(Stop(number="9", source="console"))
        daemon.status_board.report("desk", DeviceStatus.UNREACHABLE, "no route to host")
        daemon.notices.post("warning", "check the desk", topic="test")
        log.record_rejection("web:viewer@127.0.0.1", "forbidden", role="viewer", detail="go")
        logging.getLogger("cuebridge.drivers.test").error("driver fell over")
        assert await log.aflush()
    path = tmp_path / FILE_NAME
    commands = rows(path, "kind = 'command'")
    assert [(r["name"], r["source"], r["role"]) for r in commands] == [
        ("Go", "web:operator@127.0.0.1", "operator"),
        ("Go", "osc:127.0.0.1:53001", "operator"),
        ("Stop", "console", ""),
    ]
    assert commands[2]["cue"] == "9"
    events = [(r["name"], r["cue"]) for r in rows(path, "kind = 'event'")]
    assert ("cue-started", "1") in events
    assert ("cue-finished", "1") in events
    assert ("standby-changed", "") in events
    effect = rows(path, "kind = 'effect'")[0]
    assert (effect["device"], effect["name"], effect["cue"]) == ("desk", "fader", "1")
    assert json.loads(effect["detail"]) == {
        "keys": ["channel", "level", "fade", "curve"],
        "values": [[1, 0.0, 0.05, "linear"]],
    }
    rejected = {(r["name"], r["source"]) for r in rows(path, "kind = 'rejected'")}
    assert rejected == {
        ("Go", "osc:127.0.0.1:53001"),  # end of list
        ("Stop", "console"),  # unknown cue
        ("forbidden", "web:viewer@127.0.0.1"),
    }
    status = rows(path, "kind = 'status'")
    assert [(r["device"], r["name"]) for r in status] == [
        ("desk", "connecting"),
        ("desk", "unreachable"),
    ]
    assert "no route to host" in status[1]["detail"]
    assert "check the desk" in rows(path, "kind = 'notice'")[0]["detail"]
    errors = rows(path, "kind = 'error'")
    assert [(r["name"], r["detail"]) for r in errors] == [
        ("cuebridge.drivers.test", "driver fell over")
    ]
    sessions = [r["name"] for r in rows(path, "kind = 'session'")]
    assert sessions == ["start", "stop"]  # the stop row proves the flush on shutdown
    plan = rows(path, "kind = 'show'")[0]
    assert '"number":"1"' in plan["detail"]
    assert '"title":"Log test"' in plan["detail"]
    started = rows(path, "name = 'cue-started'")[0]
    wall = datetime.fromisoformat(started["wall"])
    assert abs(wall.timestamp() - time.time()) < 60
    assert abs(started["epoch"] - wall.timestamp()) < 0.002


async def test_recording_never_blocks_even_when_the_writer_is_stuck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(showlog, "QUEUE_LIMIT", 100)
    release = threading.Event()
    real_write = showlog_writer.ShowLogWriter._write

    def stuck_write(self: showlog_writer.ShowLogWriter) -> None:
        release.wait(10)
        real_write(self)

    monkeypatch.setattr(showlog_writer.ShowLogWriter, "_write", stuck_write)
    log = ShowLog(tmp_path / FILE_NAME, FakeClock())
    log.start()
    try:
        began = time.perf_counter()
        for n in range(5000):
            log.record("event", "cue-started", cue=str(n))
        elapsed = time.perf_counter() - began
        assert elapsed < 1.0  # microseconds each; a blocked put would hang here
        assert log.overflowed >= 5000 - 100 - showlog_writer.BATCH_ROWS
    finally:
        release.set()
        await asyncio.to_thread(log.close)
    assert log.written + log.lost == 5000


async def test_retention_keeps_the_newest_rows_and_drops_old_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(showlog_writer, "PRUNE_SECONDS", 0.0)
    path = tmp_path / FILE_NAME
    old = time.time() - 10 * 86400.0
    aged = ShowLog(path, FakeClock(), Retention(max_rows=None, max_age_days=None), wall=lambda: old)
    aged.start()
    for n in range(50):
        aged.record("event", "old", cue=str(n))
    await asyncio.to_thread(aged.close)
    assert len(rows(path)) == 50

    log = ShowLog(path, FakeClock(), Retention(max_rows=300, max_age_days=1.0))
    log.start()
    for n in range(2000):
        log.record("event", "new", cue=str(n))
        if n % 500 == 499:
            assert await log.aflush()
    await asyncio.to_thread(log.close)
    kept = rows(path)
    assert all(r["name"] == "new" for r in kept)  # older than a day: gone
    assert len(kept) <= 300
    assert kept[-1]["cue"] == "1999"


@pytest.mark.parametrize("prepared_off_the_loop", [False, True])
async def test_an_unwritable_log_is_a_notice_and_the_show_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepared_off_the_loop: bool
) -> None:
    monkeypatch.setattr(showlog_writer, "RETRY_SECONDS", 0.05)
    blocked = tmp_path / "state"
    blocked.write_text("a file where the state directory should be")  # fails even for root
    output = Output("desk")
    service = ShowLogService(blocked)
    daemon = Daemon(make_show(), {"desk": output}, MonotonicClock(), (service,))
    if prepared_off_the_loop:  # as a composition root might, before asyncio.run
        log = await asyncio.to_thread(service.prepare, daemon)
    else:
        log = service.prepare(daemon)
    async with running(daemon):
        daemon.loop.submit(Go(source="test"))
        notice = await notice_with(daemon, "showlog", "error")
        assert "cannot be written" in notice.message
        assert "the show continues" in notice.message
        assert output.sent  # the GO still reached the device
        blocked.unlink()  # the operator frees the path: the backlog is written
        blocked.mkdir()
        await notice_with(daemon, "showlog", "info")
        assert await log.aflush()
    names = [r["name"] for r in rows(blocked / FILE_NAME)]
    assert "Go" in names
    assert "cue-started" in names
    assert log.lost == 0


async def test_a_write_error_mid_show_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(showlog_writer, "RETRY_SECONDS", 0.05)
    posted: list[str | None] = []
    log = ShowLog(tmp_path / FILE_NAME, FakeClock(), on_trouble=posted.append)
    log.start()
    log.record("event", "first")
    assert await log.aflush()
    real = showlog_writer.ShowLogWriter._values

    def full_disk(
        self: showlog_writer.ShowLogWriter, row: showlog_writer.Row
    ) -> tuple[object, ...]:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(showlog_writer.ShowLogWriter, "_values", full_disk)
    for _ in range(5):
        log.record("event", "while full")
        await log.aflush()
    assert posted == ["OperationalError: database or disk is full"]
    monkeypatch.setattr(showlog_writer.ShowLogWriter, "_values", real)
    deadline = time.monotonic() + 10
    while posted[-1] is not None and time.monotonic() < deadline:
        log.record("event", "after")
        await log.aflush()
    await asyncio.to_thread(log.close)
    assert posted[-1] is None
    assert [r["name"] for r in rows(tmp_path / FILE_NAME)].count("while full") == 5


def test_effects_of_one_cue_are_one_compact_entry_per_device_and_action() -> None:
    def level(universe: int, value: float) -> StartFade:
        params = {"universe": universe, "address": 1, "level": value}
        return StartFade(
            device="lx", action="level", params=params, start={"level": 0.0},
            end={"level": value}, curve=Curve.S_CURVE, begin=5.0, duration=2.0, cue="7",
        )  # fmt: skip

    scene = SendAction(device="desk", action="scene", params={"n": 3}, cue="7")
    groups = effect_groups([level(1, 50.0), scene, level(2, 75.0)])
    assert [(g.device, g.action, g.cue, g.at) for g in groups] == [
        ("lx", "level", "7", 5.0),
        ("desk", "scene", "7", None),
    ]
    assert groups[0].detail == {
        "keys": ["address", "level", "universe", "fade", "curve"],
        "values": [[1, 50.0, 1, 2.0, "s-curve"], [1, 75.0, 2, 2.0, "s-curve"]],
    }
    assert groups[1].detail == {"keys": ["n", "fade", "curve"], "values": [[3, 0.0, ""]]}
