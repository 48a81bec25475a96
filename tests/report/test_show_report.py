"""The show report from a recorded run: CSV rows per cue, action and fault; HTML with a timeline."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cuebridge.core.commands import Command, Go, Stop
from cuebridge.core.effects import Effect
from cuebridge.core.engine import CueEngine
from cuebridge.core.model import (
    Action,
    Cue,
    CueList,
    Device,
    PlannedStart,
    Show,
    ShowSettings,
)
from cuebridge.drivers.base import DeviceStatus
from cuebridge.report import parse_when, write_report
from cuebridge.runtime.clock import FakeClock, MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.showlog import FILE_NAME, ShowLog, ShowLogService
from cuebridge.runtime.status import DeviceHealth, StatusChanged

BASE = datetime(2024, 5, 1, 19, 0, 0).timestamp()


def fade(level: float, seconds: float) -> Action:
    return Action(
        device="desk",
        action="fader",
        params={"channel": 1, "level": level},
        fade=seconds,
        fade_params=("level",),
        home={"level": -90.0},
    )


def planned_show() -> Show:
    cues = (
        Cue(number="1", name="Walk-in", actions=(fade(0, 10),), planned_start=PlannedStart(
            kind="offset", seconds=0)),
        Cue(number="2", name="Welcome", actions=(fade(-5, 20),), planned_duration=15.0,
            planned_start=PlannedStart(kind="offset", seconds=30)),
        Cue(number="3", name="Film <b>", actions=(fade(-10, 60),)),
        Cue(number="4", name="Outro", actions=(fade(-90, 5),)),
    )  # fmt: skip
    return Show(
        title="Gala & Awards",
        cue_lists=(CueList(id="main", name="Main", cues=cues),),
        devices={"desk": Device(name="desk", profile="generic-osc", connection={})},
        settings=ShowSettings(min_go_interval=0.0),
    )


class Recorded:
    """An engine driven on a fake clock whose every outcome and command goes to a show log."""

    def __init__(self, path: Path, show: Show) -> None:
        self.clock = FakeClock()
        self.engine = CueEngine(show)
        self.log = ShowLog(path, self.clock, wall=lambda: BASE + self.clock.now())
        self.log.start()
        self.log.record("session", "start")
        self.log.on_show(show, "loaded")

    def command(self, at: float, command: Command) -> None:
        self.advance(at)
        outcome = self.engine.handle(command, at)
        self.log.on_outcome(outcome)
        self.log.on_command(command, outcome)

    def advance(self, at: float) -> None:
        self.clock.advance(at - self.clock.now())
        self.log.on_outcome(self.engine.advance(at))

    def status(self, at: float, status: DeviceStatus, detail: str = "") -> None:
        self.advance(at)
        old = DeviceHealth(device="desk", status=DeviceStatus.OK)
        new = DeviceHealth(device="desk", status=status, detail=detail)
        self.log.on_status(StatusChanged(old=old, new=new))

    def close(self, *, clean: bool) -> None:
        if clean:
            self.log.record("session", "stop")
        self.log.close()


def record_evening(path: Path) -> None:
    run = Recorded(path, planned_show())
    run.command(0.0, Go(source="console"))  # cue 1, planned +0: on time
    run.command(42.0, Go(source="web:operator@10.0.0.5", role="operator"))  # cue 2, 12 s late
    run.status(50.0, DeviceStatus.UNREACHABLE, "no route to host")
    run.status(58.0, DeviceStatus.OK)
    run.command(70.0, Go(source="web:operator@10.0.0.5", role="operator"))  # cue 3
    run.command(71.0, Go(source="osc:127.0.0.1:53001"))  # cue 4 while 3 still runs
    run.command(80.0, Stop(number="3", source="console"))
    run.log.record_rejection("web:viewer@10.0.0.9", "forbidden", role="viewer", detail="go")
    run.advance(200.0)
    run.close(clean=False)  # the daemon was killed: no stop entry


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_has_planned_and_actual_starts_overruns_actions_and_faults(tmp_path: Path) -> None:
    db = tmp_path / FILE_NAME
    record_evening(db)
    html_path, csv_path = write_report(db, tmp_path / "out")
    assert html_path.name == "show-report-2024-05-01-1900.html"
    rows = read_csv(csv_path)
    cues = [r for r in rows if r["record"] == "cue"]
    assert [(r["cue"], r["ended"]) for r in cues] == [
        ("1", "finished"),
        ("2", "finished"),
        ("3", "stopped by console"),
        ("4", "finished"),
    ]
    one, two, three, four = cues
    start = datetime.fromtimestamp(BASE).astimezone()
    assert one["actual_start"] == start.isoformat("T", "seconds")
    assert one["planned_start"] == one["actual_start"]
    assert float(one["late_s"]) == 0.0
    assert two["planned_start"] == (start + timedelta(seconds=30)).isoformat("T", "seconds")
    assert float(two["late_s"]) == 12.0
    assert float(two["planned_duration_s"]) == 15.0
    assert float(two["duration_s"]) == 20.0
    assert float(two["overrun_s"]) == 5.0  # 20 s of fade against a 15 s plan
    assert (float(three["duration_s"]), three["late_s"]) == (10.0, "")
    assert two["source"] == "web:operator@10.0.0.5"
    assert four["trigger"] == "go"
    actions = {(r["source"], r["name"]): int(r["count"]) for r in rows if r["record"] == "action"}
    assert actions == {
        ("console", "Go"): 1,
        ("console", "Stop"): 1,
        ("osc:127.0.0.1:53001", "Go"): 1,
        ("web:operator@10.0.0.5", "Go"): 2,
        ("web:viewer@10.0.0.9", "forbidden (refused)"): 1,
    }
    faults = [r for r in rows if r["record"] == "fault"]
    assert [(r["device"], float(r["duration_s"]), r["detail"]) for r in faults] == [
        ("desk", 8.0, "no route to host")
    ]


def test_html_is_self_contained_with_a_timeline_and_a_row_per_cue(tmp_path: Path) -> None:
    db = tmp_path / FILE_NAME
    record_evening(db)
    html_path, _ = write_report(db, tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Gala &amp; Awards: show report</h1>" in page
    assert "Film &lt;b&gt;" in page
    assert "Film <b>" not in page  # names are escaped
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count('class="cue"') == 4  # one bar per cue run
    assert svg.count('class="action"') == 6  # five commands and one refusal
    assert svg.count('class="fault"') == 1  # the desk's 8 s outage as a red band
    assert svg.count('class="planned"') == 2
    assert "unclean stop" in svg  # the run ended without a clean stop
    assert page.count('<tr class="cue-row') == 4
    assert '<tr class="cue-row late">' in page  # cue 2 was 12 s late
    assert not re.search(r"""(src|href)=["']https?:""", page)  # nothing fetched from outside


def test_the_range_selects_entries(tmp_path: Path) -> None:
    db = tmp_path / FILE_NAME
    record_evening(db)
    start = datetime.fromtimestamp(BASE + 60)
    _, csv_path = write_report(db, tmp_path, start=start, end=start + timedelta(seconds=15))
    cues = [(r["cue"], r["ended"]) for r in read_csv(csv_path) if r["record"] == "cue"]
    assert cues == [("3", "stopped by console"), ("4", "finished")]


def test_a_missing_log_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no show log at"):
        write_report(tmp_path / "nothing.sqlite3", tmp_path)
    assert not (tmp_path / "nothing.sqlite3").exists()


def test_from_and_to_accept_dates_times_and_times_of_day() -> None:
    assert parse_when("2024-05-01T19:30") == datetime(2024, 5, 1, 19, 30)
    assert parse_when("2024-05-01") == datetime(2024, 5, 1)
    today = parse_when("19:30")
    assert (today.date(), today.hour, today.minute) == (datetime.now().date(), 19, 30)
    with pytest.raises(ValueError, match="expected a date"):
        parse_when("half past seven")


class Output:
    def __init__(self) -> None:
        self.name = "desk"
        self.status = DeviceStatus.OK

    async def start(self) -> None:
        pass

    def send(self, effect: Effect) -> None:
        pass

    async def aclose(self) -> None:
        pass


async def test_a_real_daemon_run_makes_a_report(tmp_path: Path) -> None:
    service = ShowLogService(tmp_path)
    daemon = Daemon(planned_show(), {"desk": Output()}, MonotonicClock(), (service,))
    service.prepare(daemon)
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    daemon.loop.submit(Go(source="console"))
    daemon.loop.submit(Stop(source="console"))
    daemon.status_board.report("desk", DeviceStatus.UNREACHABLE, "cable pulled")
    daemon.request_stop()
    await task
    html_path, csv_path = await asyncio.to_thread(write_report, tmp_path / FILE_NAME, tmp_path)
    rows = read_csv(csv_path)
    assert [(r["record"], r["cue"], r["ended"]) for r in rows if r["record"] == "cue"] == [
        ("cue", "1", "stopped by console")
    ]
    assert [r["device"] for r in rows if r["record"] == "fault"] == ["desk"]
    assert "<td>clean stop</td>" in html_path.read_text(encoding="utf-8")
