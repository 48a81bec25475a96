"""Rehearsal mode on the shipped shows: every device is simulated; the demo's first cue plays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from osc_client import until

from cuebridge import app
from cuebridge.config.showfile import load_show
from cuebridge.core.commands import Go
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.sim.osc_sim import OscSim
from cuebridge.sim.rehearsal import close_simulators, start_simulators
from cuebridge.sim.sacn_receiver import SacnReceiverSim

CATALOG = app.load_catalog()


@pytest.mark.parametrize("show_file", sorted((app.REPO_ROOT / "show_files").glob("*.yaml")))
async def test_every_device_of_the_shipped_shows_is_simulated(show_file: Any) -> None:
    show = load_show(show_file, CATALOG)
    rehearsal = await start_simulators(show, CATALOG)
    try:
        assert rehearsal.missing == {}
        assert set(rehearsal.simulators) == set(show.devices) - {"show"}
        for name, sim in rehearsal.simulators.items():
            assert rehearsal.show.devices[name].connection["host"] == "127.0.0.1"
            assert rehearsal.show.devices[name].connection["port"] == sim.port != 0
    finally:
        await close_simulators(rehearsal.simulators)


async def test_the_demo_shows_first_cue_on_the_simulated_devices() -> None:
    show = load_show(app.DEMO_SHOW, CATALOG)
    rehearsal = await start_simulators(show, CATALOG)
    sims = rehearsal.simulators
    clock = MonotonicClock()
    daemon = Daemon(
        rehearsal.show,
        app.build_outputs(rehearsal.show, CATALOG, clock, None),
        clock,
        simulators=sims,
    )
    task = asyncio.create_task(daemon.run())
    music, media, foh, lx = sims["music"], sims["media"], sims["foh"], sims["lx"]
    assert isinstance(music, OscSim)
    assert isinstance(media, OscSim)
    assert isinstance(foh, OscSim)
    assert isinstance(lx, SacnReceiverSim)
    try:
        async with asyncio.timeout(5):
            await daemon.ready.wait()
        daemon.loop.submit(Go(source="test"))  # cue 1, walk-in
        await until(music, lambda: "/walkin/play" in music.state()["values"])
        await until(media, lambda: media.state()["layers"]["2"]["clip"] == 1)
        await until(media, lambda: 0 < media.state()["layers"]["2"]["opacity"] < 1)  # fading up
        await until(foh, lambda: foh.state()["buses"]["1"]["db"] > -90)  # music bed fading up
        async with asyncio.timeout(5):  # the walk-in look starts after a 1 s pre-wait
            state = await lx.until(lambda state: state["universes"].get("1", [0])[0] > 0)
        assert state["universes"]["1"][0] > 0  # house lights (address 1) coming up
    finally:
        daemon.request_stop()
        async with asyncio.timeout(5):
            await task
