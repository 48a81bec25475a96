"""Choosing simulators for devices, pointing devices at them, and rehearsal mode end to end."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from osc_client import until

from cuebridge import app
from cuebridge.config.profile_model import Profile
from cuebridge.config.showfile import load_show_text
from cuebridge.core.commands import Go
from cuebridge.core.model import Device
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.sim.eos import EosSim
from cuebridge.sim.generic_osc import GenericOscSim
from cuebridge.sim.media import MediaSim
from cuebridge.sim.osc_sim import OscSim
from cuebridge.sim.qlab import QLabSim
from cuebridge.sim.registry import (
    NoSimulator,
    osc_simulator_class,
    simulated_connection,
    simulator_for,
)
from cuebridge.sim.rehearsal import close_simulators, start_simulators
from cuebridge.sim.x32 import X32Sim

CATALOG = app.load_catalog()


def osc_profile(profile_id: str, vendor: str | None = None) -> Profile:
    return Profile.model_validate(
        {
            "profile": profile_id,
            "name": profile_id,
            "vendor": vendor,
            "protocol": "osc",
            "version": 1,
            "actions": {"go": {"osc": [{"address": "/go"}]}},
        }
    )


@pytest.mark.parametrize(
    ("profile_id", "expected"),
    [
        ("behringer-x32", X32Sim),
        ("etc-eos", EosSim),
        ("qlab5", QLabSim),
        ("resolume-arena", MediaSim),
        ("millumin", MediaSim),
        ("disguise", MediaSim),
        ("generic-osc", GenericOscSim),
    ],
)
def test_bundled_osc_profiles_get_their_simulator(profile_id: str, expected: type) -> None:
    profile = CATALOG.get(profile_id)
    assert profile is not None
    device = Device(name="dev", profile=profile_id, connection={})
    sim = simulator_for(device, profile)
    assert type(sim) is expected
    assert sim.name == "dev"
    assert sim.port == 0  # not started: it binds an ephemeral port


def test_other_osc_profiles_go_by_family_then_fall_back_to_generic() -> None:
    assert osc_simulator_class(osc_profile("midas-m32", "Midas")) is X32Sim
    assert osc_simulator_class(osc_profile("x32-rack")) is X32Sim
    assert osc_simulator_class(osc_profile("qlab4", "Figure 53")) is QLabSim
    assert osc_simulator_class(osc_profile("etc-ion", "ETC")) is EosSim
    assert osc_simulator_class(osc_profile("resolume-avenue")) is MediaSim
    assert osc_simulator_class(osc_profile("acme-blinker", "Acme")) is GenericOscSim


def test_qlab_simulator_takes_the_devices_passcode() -> None:
    profile = CATALOG.get("qlab5")
    assert profile is not None
    device = Device(name="sound", profile="qlab5", connection={"passcode": "1234"})
    sim = simulator_for(device, profile)
    assert isinstance(sim, QLabSim)
    assert sim.passcode == "1234"


def test_sacn_and_midi_profiles_get_the_receiver_and_the_console() -> None:
    sacn_profile, midi_profile = CATALOG.get("generic-sacn"), CATALOG.get("grandma3")
    assert sacn_profile is not None
    assert midi_profile is not None
    lx = simulator_for(Device(name="lx", profile="generic-sacn", connection={}), sacn_profile)
    assert (type(lx).__name__, lx.kind) == ("SacnReceiverSim", "sacn")
    desk = Device(name="ma", profile="grandma3", connection={"device_id": 5})
    console = simulator_for(desk, midi_profile)
    assert (type(console).__name__, console.kind) == ("MidiConsoleSim", "midi")
    assert console.state()["msc"]["device_id"] == 5  # the show's device ID, not the profile default


def test_internal_profiles_have_no_simulator() -> None:
    profile = CATALOG.get("cuebridge")
    assert profile is not None
    with pytest.raises(NoSimulator, match="no simulator for the internal profile cuebridge"):
        simulator_for(Device(name="show", profile="cuebridge", connection={}), profile)


def test_the_connection_keeps_a_transport_the_simulator_offers() -> None:
    eos = EosSim("lx")
    tcp_len = Device(name="lx", profile="etc-eos", connection={"transport": "tcp-len"})
    assert simulated_connection(tcp_len, eos) == {
        "host": "127.0.0.1",
        "port": 0,
        "transport": "tcp-len",
    }
    desk = X32Sim("foh")
    odd = Device(name="foh", profile="behringer-x32", connection={"transport": "tcp-slip"})
    assert simulated_connection(odd, desk)["transport"] == "udp"


def test_a_simulator_may_supply_its_own_connection() -> None:
    class Special:
        port = 5

        def connection_overrides(self) -> dict[str, Any]:
            return {"midi_port": "cuebridge sim"}

    device = Device(name="desk", profile="generic-midi", connection={})
    assert simulated_connection(device, Special()) == {"midi_port": "cuebridge sim"}  # type: ignore[arg-type]


SHOW = """\
version: 1
show: {title: Rehearsal}
settings: {min_go_interval: 0}
devices:
  foh: {profile: behringer-x32, host: 10.0.0.5, port: 10023}
  sound: {profile: qlab5, host: 10.0.0.6, port: 53000, transport: tcp-slip}
  media: {profile: resolume-arena, host: 10.0.0.7, port: 7000}
cue_lists:
  - id: main
    cues:
      - number: "1"
        actions:
          - {device: foh, action: fader, params: {channel: 9, level: -10}}
          - {device: sound, action: start, params: {cue_number: W1}}
          - {device: media, action: clip_connect, params: {layer: 2, clip: 1}}
"""


async def test_rehearsal_points_every_device_at_a_simulator_and_the_show_runs() -> None:
    show = load_show_text(SHOW, "rehearsal.yaml", CATALOG)
    rehearsal = await start_simulators(show, CATALOG)
    try:
        assert rehearsal.missing == {}
        assert sorted(rehearsal.simulators) == ["foh", "media", "sound"]
        for name, sim in rehearsal.simulators.items():
            connection = rehearsal.show.devices[name].connection
            assert (connection["host"], connection["port"]) == ("127.0.0.1", sim.port)
        assert rehearsal.show.devices["sound"].connection["transport"] == "tcp-slip"
        clock = MonotonicClock()
        outputs = app.build_outputs(rehearsal.show, CATALOG, clock, None)
        daemon = Daemon(rehearsal.show, outputs, clock, simulators=rehearsal.simulators)
        task = asyncio.create_task(daemon.run())
        sims = rehearsal.simulators
        media, foh, sound = sims["media"], sims["foh"], sims["sound"]
        assert isinstance(media, OscSim)
        assert isinstance(foh, OscSim)
        assert isinstance(sound, OscSim)
        try:
            async with asyncio.timeout(5):
                await daemon.ready.wait()
            daemon.loop.submit(Go(source="test"))
            await until(media, lambda: media.state()["layers"]["2"]["clip"] == 1)
            await until(foh, lambda: foh.state()["channels"]["9"]["db"] == -10.0)
            await until(sound, lambda: "W1" in sound.state()["running"])
        finally:
            daemon.request_stop()
            async with asyncio.timeout(5):
                await task
        assert all(sim.stats()["ignored_total"] == 0 for sim in sims.values())
    finally:
        await close_simulators(rehearsal.simulators)
