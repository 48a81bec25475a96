"""Reload reports `control:` edits as needing a restart, and adapts each loaded show first."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from test_persist import FakeDmx

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.config.showfile import load_show
from cuebridge.core.model import Device, Show
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.notices import Notice
from cuebridge.runtime.reload import ShowReloader, reload_service

REPO = Path(__file__).resolve().parents[2]
SIM_PORT = 47001

SHOW = """\
version: 1
show: {{title: Reload}}
settings: {{min_go_interval: 0}}
devices:
  lx: {{profile: generic-sacn, host: 127.0.0.1, port: {port}}}
{extra}{control}cue_lists:
  - id: main
    cues:
      - number: "1"
        actions:
          - {{device: lx, action: level, params: {{universe: 1, address: 1, level: {level}}}}}
      - {{number: "2"}}
"""
CONTROL = """\
control:
  osc:
    passcodes: {operator: "0123"}
  midi:
    input: {transport: udp, host: 127.0.0.1, port: 21928}
    map:
      - {note: 60, command: go}
  msc: {device_id: 1}
"""


def write(
    path: Path, *, port: int = 5568, control: str = "", level: int = 100, extra: str = ""
) -> None:
    before = path.stat().st_mtime_ns if path.exists() else 0
    text = SHOW.format(port=port, control=control, level=level, extra=extra)
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    if stat.st_mtime_ns <= before:
        os.utime(path, ns=(stat.st_atime_ns, before + 1_000_000))


def to_simulators(show: Show) -> Show:
    """What the lead's `--simulate` does: every device points at a local simulator."""
    devices = {
        name: dataclasses.replace(device, connection={**device.connection, "port": SIM_PORT})
        for name, device in show.devices.items()
    }
    return dataclasses.replace(show, devices=devices)


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


async def start(
    path: Path, catalog: ProfileCatalog, adapt: Callable[[Show], Show] | None = None
) -> tuple[Daemon, ShowReloader, asyncio.Task[None]]:
    reloader = reload_service(path, catalog, poll=0.02, adapt=adapt)
    show = load_show(path, catalog)
    daemon = Daemon(show if adapt is None else adapt(show), {"lx": FakeDmx()}, MonotonicClock())
    reloader.prepare(daemon)
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    return daemon, reloader, task


def notice(daemon: Daemon) -> Notice:
    found = next((n for n in daemon.notices.items() if n.topic == "reload"), None)
    assert found is not None
    return found


async def test_control_section_edits_are_reported_as_needing_a_restart(
    tmp_path: Path, catalog: ProfileCatalog
) -> None:
    path = tmp_path / "show.yaml"
    write(path)
    daemon, reloader, task = await start(path, catalog)
    try:
        write(path, control=CONTROL)
        result = await reloader.reload()
        assert result.ok
        message = notice(daemon).message
        assert notice(daemon).level == "warning"
        assert "control changes need a restart: " in message
        for part in ("OSC access", "MIDI input", "MIDI map", "MSC device id"):
            assert part in message
        assert "timecode" not in message  # unchanged parts are not named
        assert "device changes" not in message
        write(path, control=CONTROL, level=50)  # control: unchanged this time
        await reloader.reload()
        assert notice(daemon).message == "show file reloaded (2 top-level cues)"
        assert notice(daemon).level == "info"
    finally:
        daemon.request_stop()
        await task


async def test_reload_in_rehearsal_adapts_the_edit_before_comparing_and_swapping(
    tmp_path: Path, catalog: ProfileCatalog
) -> None:
    path = tmp_path / "show.yaml"
    write(path)
    daemon, reloader, task = await start(path, catalog, adapt=to_simulators)
    try:
        assert daemon.show.devices["lx"].connection["port"] == SIM_PORT
        write(path, level=42)
        result = await reloader.reload()
        assert result.ok
        assert result.message == "show file reloaded (2 top-level cues)"  # no device change
        lx: Device = daemon.loop.engine.show.devices["lx"]
        assert lx.connection["port"] == SIM_PORT  # still the simulator, not the real address
        assert daemon.show.devices["lx"].connection["port"] == SIM_PORT
        action = daemon.show.cue_lists[0].cues[0].actions[0]
        assert action.params["level"] == 42
        spot = "  spot: {profile: generic-sacn, host: 127.0.0.1, port: 5568}\n"
        write(path, extra=spot, level=42)  # a real device edit is still reported
        result = await reloader.reload()
        assert "device changes need a restart: added spot" in result.message
        assert "changed lx" not in result.message
        assert daemon.show.devices["spot"].connection["port"] == SIM_PORT
    finally:
        daemon.request_stop()
        await task


async def test_a_failing_adapt_rejects_the_edit_and_keeps_the_show(
    tmp_path: Path, catalog: ProfileCatalog
) -> None:
    path = tmp_path / "show.yaml"
    write(path)
    calls: list[Show] = []

    def adapt(show: Show) -> Show:
        calls.append(show)
        if len(calls) > 1:
            raise RuntimeError("no simulator for lx")
        return to_simulators(show)

    daemon, reloader, task = await start(path, catalog, adapt=adapt)
    try:
        before = daemon.show
        write(path, level=42)
        result = await reloader.reload()
        assert not result.ok
        assert "no simulator for lx" in result.message
        assert notice(daemon).level == "error"
        assert daemon.show is before
    finally:
        daemon.request_stop()
        await task
