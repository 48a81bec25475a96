"""Conformance: every action of every OSC profile reaches its simulator and sets the right state.

Each case renders an action with example parameters (derived from the profile's parameter
specs), sends it through the real OscOutput and transport over loopback, to the simulator the
registry picks for the profile, on every transport that simulator offers; then the simulator's
state must show the action's effect. A new OSC profile (or action) fails here until its
expected effect is written into EXPECTED: that is the proof a profile must come with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from osc_client import Watcher, udp_client

from cuebridge.config.profile_model import ActionSpec, ParamSpec, Profile
from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.core.effects import SendAction
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.osc_output import OscOutput
from cuebridge.drivers.osc_transport import OscTransport, TcpOscTransport, UdpOscTransport
from cuebridge.protocols.osc import OscMessage
from cuebridge.render.osc import render_osc
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.sim.osc_sim import OscSim
from cuebridge.sim.registry import osc_simulator_class, simulated_connection, simulator_for

CATALOG = ProfileCatalog.load(default_profile_dirs())
OSC_PROFILES = [profile for profile in CATALOG if profile.protocol == "osc"]

State = dict[str, Any]
Params = Mapping[str, ParamValue]


def near(value: object, expected: object) -> bool:
    return value == pytest.approx(expected, rel=1e-6, abs=1e-6)


@dataclass(frozen=True)
class Expect:
    """What an action does to its simulator; `prepare` is sent first (UDP) to set a scene."""

    check: Callable[[State, Params], bool]
    prepare: tuple[tuple[str, str, tuple[Any, ...]], ...] = ()


EXPECTED: dict[tuple[str, str], Expect] = {
    ("behringer-x32", "fader"): Expect(
        lambda s, p: near(s["channels"][str(p["channel"])]["db"], p["level"])
    ),
    ("behringer-x32", "mute"): Expect(
        lambda s, p: s["channels"][str(p["channel"])]["on"] is (not p["muted"])
    ),
    ("behringer-x32", "main_fader"): Expect(lambda s, p: near(s["main"]["db"], p["level"])),
    ("behringer-x32", "bus_fader"): Expect(
        lambda s, p: near(s["buses"][str(p["bus"])]["db"], p["level"])
    ),
    ("behringer-x32", "dca_fader"): Expect(
        lambda s, p: near(s["dcas"][str(p["dca"])]["db"], p["level"])
    ),
    ("behringer-x32", "recall_scene"): Expect(lambda s, p: s["scene"] == p["scene"]),
    ("etc-eos", "cue_fire"): Expect(
        lambda s, p: (s["list"], s["active_cue"]) == (p["list"], p["cue"])
    ),
    ("etc-eos", "go"): Expect(
        lambda s, p: (s["active_cue"], s["pending_cue"]) == ("3", "4"),
        prepare=(("/eos/cue/1/2/fire", "", ()),),
    ),
    ("etc-eos", "macro_fire"): Expect(lambda s, p: s["last_macro"] == p["macro"]),
    ("etc-eos", "sub_level"): Expect(
        lambda s, p: near(s["subs"][str(p["sub"])], float(p["level"]) / 100)
    ),
    ("qlab5", "go"): Expect(lambda s, p: (s["running"], s["playhead"]) == (["1"], "2")),
    ("qlab5", "start"): Expect(
        lambda s, p: (s["running"], s["playhead"]) == (["2", p["cue_number"]], "1"),
        prepare=(("/cue/2/start", "", ()),),
    ),
    ("qlab5", "stop"): Expect(
        lambda s, p: s["running"] == s["paused"] == [],
        prepare=(("/cue/1/start", "", ()), ("/cue/2/start", "", ()), ("/cue/2/pause", "", ())),
    ),
    ("qlab5", "stop_cue"): Expect(
        lambda s, p: s["running"] == ["1"],
        prepare=(("/cue/1/start", "", ()), ("/cue/12.5/start", "", ())),
    ),
    ("qlab5", "panic"): Expect(
        lambda s, p: s["running"] == [], prepare=(("/cue/3/start", "", ()),)
    ),
    ("resolume-arena", "clip_connect"): Expect(
        lambda s, p: s["layers"][str(p["layer"])]["clip"] == p["clip"]
    ),
    ("resolume-arena", "column_connect"): Expect(
        lambda s, p: (
            s["column"] == p["column"]
            and {layer["clip"] for layer in s["layers"].values()} == {p["column"]}
        )
    ),
    ("resolume-arena", "layer_opacity"): Expect(
        lambda s, p: near(s["layers"][str(p["layer"])]["opacity"], float(p["opacity"]) / 100)
    ),
    ("resolume-arena", "clear_layer"): Expect(
        lambda s, p: s["layers"][str(p["layer"])]["clip"] is None and s["layers"]["1"]["clip"] == 2,
        prepare=(("/composition/columns/2/connect", "i", (1,)),),
    ),
    ("millumin", "launch_column"): Expect(lambda s, p: s["column"] == p["column"]),
    ("millumin", "stop_column"): Expect(
        lambda s, p: s["column"] is None, prepare=(("/action/launchColumn", "i", (2,)),)
    ),
    ("millumin", "layer_opacity"): Expect(
        lambda s, p: near(s["layers"][str(p["layer"])]["opacity"], float(p["opacity"]) / 100)
    ),
    ("disguise", "play"): Expect(lambda s, p: s["transport"]["mode"] == "play"),
    ("disguise", "stop"): Expect(
        lambda s, p: s["transport"]["mode"] == "stopped",
        prepare=(("/d3/showcontrol/play", "", ()),),
    ),
    ("disguise", "play_section"): Expect(lambda s, p: s["transport"]["mode"] == "playsection"),
    ("disguise", "next_section"): Expect(lambda s, p: s["transport"]["section"] == 1),
    ("generic-osc", "send"): Expect(
        lambda s, p: near(s["values"][str(p["address"])], [p["value"]])
    ),
    ("generic-osc", "send_int"): Expect(
        lambda s, p: s["values"][str(p["address"])] == [p["value"]]
    ),
    ("generic-osc", "send_string"): Expect(
        lambda s, p: s["values"][str(p["address"])] == [p["value"]]
    ),
    ("generic-osc", "trigger"): Expect(lambda s, p: s["values"][str(p["address"])] == []),
}


def example(name: str, spec: ParamSpec, action: str) -> ParamValue:
    """A value inside the spec that differs from the device's power-on state where it can."""
    if spec.choices:
        return spec.choices[0]
    if spec.default is not None:
        return spec.default
    if spec.type == "int":
        low = int(spec.min) if spec.min is not None else 1
        high = int(spec.max) if spec.max is not None else low + 4
        return (low + high + 1) // 2
    if spec.type == "float":
        if spec.min is not None and spec.max is not None:
            return spec.min + 0.75 * (spec.max - spec.min)
        return 0.625
    if spec.type == "bool":
        return True
    if spec.type == "cue":
        return "1"
    return f"/conformance/{action}" if name == "address" else "12.5"


def example_params(spec: ActionSpec, action: str) -> dict[str, ParamValue]:
    return {name: example(name, param, action) for name, param in spec.params.items()}


def cases() -> list[Any]:
    return [
        pytest.param(profile, action, transport, id=f"{profile.id}.{action}-{transport}")
        for profile in OSC_PROFILES
        for action in profile.actions
        for transport in osc_simulator_class(profile).TRANSPORTS
    ]


def transport_for(connection: Mapping[str, ParamValue]) -> OscTransport:
    host, port = str(connection["host"]), int(connection["port"])
    kind = connection["transport"]
    if kind == "udp":
        return UdpOscTransport(host, port)
    return TcpOscTransport(host, port, "slip" if kind == "tcp-slip" else "length")


@pytest.mark.parametrize(("profile", "action", "transport"), cases())
async def test_action_reaches_the_simulator(profile: Profile, action: str, transport: str) -> None:
    expect = EXPECTED.get((profile.id, action))
    if expect is None:
        pytest.fail(f"no conformance expectation for {profile.id}.{action}: add one to EXPECTED")
    spec = profile.actions[action]
    params = example_params(spec, action)
    messages: list[OscMessage] = render_osc(spec, params)
    device = Device(name="dev", profile=profile.id, connection={"transport": transport})
    sim = simulator_for(device, profile)
    assert isinstance(sim, OscSim)
    await sim.start()
    connection = simulated_connection(device, sim)
    assert connection == {"host": "127.0.0.1", "port": sim.port, "transport": transport}
    output = OscOutput(
        "dev",
        transport_for(connection),
        lambda name, values: render_osc(profile.actions[name], values),
        MonotonicClock(),
    )
    watcher = Watcher(sim.endpoint)
    try:
        if expect.prepare:
            async with udp_client(sim.port) as client:
                for address, tags, values in expect.prepare:
                    client.send(address, tags, *values)
                await watcher.wait(len(expect.prepare))
        await output.start()
        effect = SendAction(
            device="dev", action=action, params=params, cue="1", fade_params=spec.fade_params
        )
        output.send(effect)
        heard = await watcher.wait(len(expect.prepare) + len(messages))
        assert [event.reason for event in heard] == [None] * len(heard), heard
        assert [event.text.split(" ")[0] for event in heard[len(expect.prepare) :]] == [
            m.address for m in messages
        ]
        state = sim.state()
        assert expect.check(state, params), f"{profile.id}.{action} with {params}: state {state}"
    finally:
        await output.aclose()
        await sim.aclose()


def test_every_expectation_names_a_real_action() -> None:
    known = {(profile.id, action) for profile in OSC_PROFILES for action in profile.actions}
    assert sorted(set(EXPECTED) - known) == []


def test_the_suite_covers_every_osc_profile_in_the_catalog() -> None:
    assert {
        "behringer-x32",
        "etc-eos",
        "qlab5",
        "resolume-arena",
        "millumin",
        "disguise",
        "generic-osc",
    } <= {profile.id for profile in OSC_PROFILES}
