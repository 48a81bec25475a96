"""Conformance: every action of every MIDI profile reaches the MIDI console sim and sets its state.

Each case sends an action through the real MidiOutput (profile renderer, UDP transport) over
loopback to a MidiConsoleSim configured from the same profile, then checks the console's
state. A new MIDI profile (or action) fails test_every_midi_action_is_covered until its
expected effect is written here: the proof a profile must come with.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from cuebridge.config.profile_model import Profile
from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.core.curves import Curve
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.midi_output import MidiOutput, midi_output_for
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.sim.midi_console import MidiConsoleSim

CATALOG = ProfileCatalog.load(default_profile_dirs())
MIDI_PROFILES = [profile for profile in CATALOG if profile.protocol == "midi"]

State = dict[str, Any]
Params = Mapping[str, ParamValue]


@dataclass(frozen=True)
class Case:
    """Parameters to send, what the console must then show, and actions sent first."""

    params: Params
    check: Callable[[State], bool]
    prepare: tuple[tuple[str, Params], ...] = ()


def msc(state: State) -> State:
    result: State = state["msc"]
    return result


CASES: dict[tuple[str, str], Case] = {
    ("generic-midi", "note_on"): Case(
        {"channel": 2, "note": 60, "velocity": 100}, lambda s: s["notes"]["2"] == {"60": 100}
    ),
    ("generic-midi", "note_off"): Case(
        {"channel": 2, "note": 60},
        lambda s: s["notes"]["2"] == {},
        prepare=(("note_on", {"channel": 2, "note": 60}),),
    ),
    ("generic-midi", "cc"): Case(
        {"channel": 1, "controller": 7, "value": 90}, lambda s: s["cc"] == {"1": {"7": 90}}
    ),
    ("generic-midi", "program_change"): Case(
        {"channel": 16, "program": 5}, lambda s: s["program"] == {"16": 5}
    ),
    ("generic-midi", "pitch_bend"): Case(
        {"channel": 1, "value": -100}, lambda s: s["pitch_bend"] == {"1": -100}
    ),
    ("generic-midi", "sysex"): Case(
        {"data": "43 10 3E"}, lambda s: s["last"] == ["sysex f0 43 10 3e f7"]
    ),
    ("generic-midi", "msc"): Case(
        {"command": "go", "cue": "5", "list": "2"}, lambda s: msc(s)["cues"] == {"2": "5"}
    ),
    ("generic-midi", "msc_timed_go"): Case(
        {"time": 2, "cue": "7"},
        lambda s: (
            msc(s)["last_command"] == "TIMED_GO cue 7 time 00:00:02:00"
            and msc(s)["cues"] == {"default": "7"}
        ),
    ),
    ("generic-midi", "msc_set"): Case(
        {"control": 510, "value": 75}, lambda s: msc(s)["levels"] == {"510": 75}
    ),
    ("generic-midi", "msc_fire"): Case({"macro": 9}, lambda s: msc(s)["macros"] == [9]),
    ("generic-midi", "msc_system"): Case(
        {"command": "all_off"}, lambda s: msc(s)["all_off"] is True
    ),
    ("yamaha-cl", "recall_scene"): Case(
        {"channel": 3, "scene": 10}, lambda s: s["program"] == {"3": 9}
    ),
    ("grandma3", "go"): Case(
        {"cue": "3.5", "executor": 201, "page": 2}, lambda s: msc(s)["cues"] == {"201.2": "3.5"}
    ),
    ("grandma3", "go_next"): Case({}, lambda s: msc(s)["last_command"] == "GO"),
    ("grandma3", "timed_go"): Case(
        {"time": 1, "cue": "4"}, lambda s: msc(s)["cues"] == {"201.1": "4"}
    ),
    ("grandma3", "stop"): Case({}, lambda s: msc(s)["stopped"] == ["all"]),
    ("grandma3", "resume"): Case(
        {},
        lambda s: msc(s)["last_command"] == "RESUME" and msc(s)["stopped"] == [],
        prepare=(("stop", {}),),
    ),
    ("grandma3", "set"): Case(
        {"control": 3, "value": 200}, lambda s: msc(s)["levels"] == {"3": 200}
    ),
    ("grandma3", "fire_macro"): Case({"macro": 5}, lambda s: msc(s)["macros"] == [5]),
    ("etc-eos-msc", "go"): Case(
        {"cue": "12.5", "list": 2}, lambda s: msc(s)["cues"] == {"2": "12.5"}
    ),
    ("etc-eos-msc", "stop"): Case({"cue": "1"}, lambda s: msc(s)["stopped"] == ["1"]),
    ("etc-eos-msc", "stop_all"): Case({}, lambda s: msc(s)["stopped"] == ["all"]),
    ("etc-eos-msc", "resume"): Case(
        {"cue": "1"},
        lambda s: msc(s)["last_command"] == "RESUME cue 1 list 1" and msc(s)["stopped"] == [],
        prepare=(("stop", {"cue": "1"}),),
    ),
    ("etc-eos-msc", "resume_all"): Case(
        {},
        lambda s: msc(s)["last_command"] == "RESUME" and msc(s)["stopped"] == [],
        prepare=(("stop_all", {}),),
    ),
    ("etc-eos-msc", "fire_macro"): Case({"macro": 17}, lambda s: msc(s)["macros"] == [17]),
    ("etc-eos-msc", "sub_level"): Case(
        {"sub": 3, "level": 80}, lambda s: msc(s)["levels"] == {"3": 80}
    ),
    ("etc-eos-msc", "grandmaster"): Case({"level": 75}, lambda s: msc(s)["levels"] == {"510": 75}),
}


def holds(check: Callable[[State], bool], state: State) -> bool:
    """A check of a state that may not have the key yet."""
    try:
        return check(state)
    except KeyError:
        return False


def test_every_midi_action_is_covered() -> None:
    actions = {(profile.id, name) for profile in MIDI_PROFILES for name in profile.actions}
    assert actions == set(CASES)
    assert {"generic-midi", "yamaha-cl", "grandma3", "etc-eos-msc"} <= {p.id for p in MIDI_PROFILES}


@dataclass
class Rig:
    """A profile's output wired to its simulator over loopback UDP."""

    sim: MidiConsoleSim
    output: MidiOutput

    def send(self, action: str, params: Params) -> None:
        self.output.send(SendAction(device="desk", action=action, params=params, cue="1"))


async def rig_for(profile: Profile, **options: ParamValue) -> Rig:
    sim = MidiConsoleSim("desk", profile=profile, options=options)
    await sim.start()
    connection: dict[str, ParamValue] = {**options, **sim.connection}
    device = Device(name="desk", profile=profile.id, connection=connection)
    output = midi_output_for(device, profile, MonotonicClock())
    await output.start()
    return Rig(sim, output)


@pytest.fixture
async def rigs() -> AsyncIterator[Callable[..., Any]]:
    made: list[Rig] = []

    async def make(profile: Profile, **options: ParamValue) -> Rig:
        made.append(await rig_for(profile, **options))
        return made[-1]

    yield make
    for rig in made:
        await rig.output.aclose()
        await rig.sim.aclose()


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda key: ".".join(key))
async def test_action_reaches_the_console(key: tuple[str, str], rigs: Callable[..., Any]) -> None:
    profile_id, action = key
    profile = CATALOG.get(profile_id)
    assert profile is not None
    case = CASES[key]
    rig: Rig = await rigs(profile)
    for name, params in case.prepare:
        rig.send(name, params)
        await rig.sim.wait_until(lambda s: s["msc"]["last_command"] is not None or bool(s["last"]))
    rig.send(action, case.params)
    state = await rig.sim.wait_until(lambda s: holds(case.check, s))
    assert state["kind"] == "midi"
    assert rig.sim.stats()["malformed"] == 0
    assert rig.output.render_errors == 0


async def test_a_show_device_id_reaches_only_the_console_with_that_id(
    rigs: Callable[..., Any],
) -> None:
    profile = CATALOG.get("etc-eos-msc")
    assert profile is not None
    rig: Rig = await rigs(profile, device_id=9)
    rig.send("go", {"cue": "1"})
    await rig.sim.wait_until(lambda s: msc(s)["cues"] == {"1": "1"})
    assert msc(rig.sim.state())["device_id"] == 9


@pytest.mark.parametrize(
    ("profile_id", "action", "params", "value"),
    [
        ("generic-midi", "cc", {"channel": 1, "controller": 7}, lambda s: s["cc"]["1"]["7"]),
        ("etc-eos-msc", "sub_level", {"sub": 2}, lambda s: msc(s)["levels"]["2"]),
    ],
)
async def test_fades_arrive_in_steps_and_end_on_target(
    profile_id: str,
    action: str,
    params: dict[str, ParamValue],
    value: Callable[[State], int],
    rigs: Callable[..., Any],
) -> None:
    profile = CATALOG.get(profile_id)
    assert profile is not None
    rig: Rig = await rigs(profile)
    name = "value" if action == "cc" else "level"
    rig.output.send(
        StartFade(
            device="desk",
            action=action,
            params={**params, name: 100},
            start={name: 0.0},
            end={name: 100.0},
            curve=Curve.LINEAR,
            begin=time.monotonic(),
            duration=0.3,
            cue="1",
        )
    )
    seen: set[int] = set()

    def record(state: State) -> bool:
        try:
            seen.add(value(state))
        except KeyError:
            return False
        return 100 in seen

    await rig.sim.wait_until(record, within=3.0)
    assert len(seen) >= 3  # intermediate frames, not a jump
    assert value(rig.sim.state()) == 100
