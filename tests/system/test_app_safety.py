"""Composition-root safeguards: one daemon per state dir, rehearsal never reaches real gear,
panel tokens survive a restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from pathlib import Path

import pytest

from cuebridge import app
from cuebridge.config.showfile import load_show, load_show_text
from cuebridge.errors import DeviceError
from cuebridge.runtime.daemon import Daemon, service_name
from cuebridge.runtime.roles import Role
from cuebridge.web.token_store import FILE_NAME, load_or_create_tokens

CATALOG = app.load_catalog()
TIMECODE_SHOW = """\
version: 1
show: {title: Timecode out}
control:
  timecode:
    fps: 25
    output: {transport: udp, host: 127.0.0.1, port: 9}
    start: "01:00:00:00"
devices:
  music: {profile: generic-osc, host: 127.0.0.1, port: 9}
cue_lists:
  - id: main
    cues:
      - {number: "1", actions: [{device: music, action: trigger, params: {address: /a}}]}
"""


def test_a_second_daemon_cannot_take_the_same_state_dir(tmp_path: Path) -> None:
    with (
        app.state_dir_lock(tmp_path),
        contextlib.ExitStack() as second,
        pytest.raises(DeviceError, match="in use by another cuebridge"),
    ):
        second.enter_context(app.state_dir_lock(tmp_path))
    with app.state_dir_lock(tmp_path):  # released on exit
        pass


def service_names(daemon: Daemon) -> list[str]:
    return [service_name(service) for service in daemon.services]


@pytest.mark.parametrize("simulate", [False, True])
async def test_rehearsal_sends_no_timecode_to_the_show_files_address(simulate: bool) -> None:
    show = load_show_text(TIMECODE_SHOW, "tc.yaml", CATALOG)
    options = app.RunOptions(simulate=simulate, console=False, web_port=None, osc_port=None)
    daemon = await app.assemble(show, CATALOG, options)
    try:
        assert ("timecode_output" in service_names(daemon)) is not simulate
        if simulate:
            assert daemon.simulators["music"].port != 9
    finally:
        for sim in daemon.simulators.values():
            await sim.aclose()


def test_generated_panel_tokens_are_kept_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_tokens(tmp_path, {Role.ADMIN: "from-the-environment"})
    assert first[Role.ADMIN] == "from-the-environment"
    saved = tmp_path / FILE_NAME
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    assert "from-the-environment" not in saved.read_text()
    again = load_or_create_tokens(tmp_path, {Role.ADMIN: "from-the-environment"})
    assert again == first
    saved.write_text("not json")
    fresh = load_or_create_tokens(tmp_path, {})
    assert fresh[Role.OPERATOR] != first[Role.OPERATOR]
    assert len(set(fresh.values())) == 3


async def test_a_reload_in_rehearsal_keeps_the_devices_on_their_simulators() -> None:
    show = load_show(app.DEMO_SHOW, CATALOG)
    options = app.RunOptions(
        show_path=app.DEMO_SHOW, simulate=True, console=False, web_port=None, osc_port=None
    )
    daemon = await app.assemble(show, CATALOG, options)
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(10):
            await daemon.ready.wait()
            assert daemon.reload is not None
            result = await daemon.reload()
        assert result.ok, result.message
        assert "restart" not in result.message, result.message
        running = daemon.loop.engine.show.devices
        for name, sim in daemon.simulators.items():
            assert running[name].connection["port"] == sim.port
    finally:
        daemon.request_stop()
        async with asyncio.timeout(10):
            await task
