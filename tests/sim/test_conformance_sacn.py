"""Conformance: show file -> engine -> SacnOutput -> loopback -> SacnReceiverSim, per fixture type.

Every fixture type of the bundled library is patched, set, faded and panicked through the real
chain, and the receiver's state is checked against slot values computed here independently:
8-bit attributes as the nearest DMX value, 16-bit ones as coarse/fine of the nearest 16-bit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from cuebridge.config.fixtures import FixtureLibrary
from cuebridge.config.profiles import ProfileCatalog, load_profile
from cuebridge.config.showfile import load_show_text
from cuebridge.core.commands import Command, Go, Panic
from cuebridge.core.dmx_patch import FixtureType
from cuebridge.core.engine import CueEngine
from cuebridge.drivers.sacn_output import SacnOutput, sacn_output_for
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.sim.sacn_receiver import SacnReceiverSim

REPO = Path(__file__).resolve().parents[2]
LIBRARY = FixtureLibrary.load([REPO / "profiles" / "fixtures"])
WITHIN = 3.0  # generous for a loaded machine; the fades themselves take 0.3 s
UNIVERSE, ADDRESS = 3, 250
SHOW = """\
version: 1
show: {{title: Conformance}}
settings: {{min_go_interval: 0, panic_time: 0.3}}
devices:
  lx:
    profile: generic-sacn
    host: 127.0.0.1
    unit: {unit}
    patch:
      fx: {{type: {type}, universe: {universe}, address: {address}}}
cue_lists:
  - id: main
    cues:
      - number: "1"
        actions:
          - {{device: lx, action: fixture, params: {first}}}
          - {{device: lx, action: level, params: {{universe: 1, address: 512, level: {raw}}}}}
      - number: "2"
        actions:
          - {{device: lx, action: fixture, params: {second}, fade: 0.3, curve: s-curve}}
          - device: lx
            action: level
            params: {{universe: 1, address: 512, level: {raw_end}}}
            fade: 0.3
"""


def expected_slots(fixture_type: FixtureType, values: dict[str, float], full: float) -> dict:
    """Slot (0-based in the universe) -> byte, computed without the code under test."""
    slots: dict[int, int] = {}
    for name, attribute in fixture_type.attributes.items():
        coarse = ADDRESS - 2 + attribute.channel
        if attribute.fine is None:
            slots[coarse] = math.floor(values[name] * 255 / full + 0.5)
        else:
            wide = math.floor(values[name] * 65535 / full + 0.5)
            slots[coarse], slots[ADDRESS - 2 + attribute.fine] = divmod(wide, 256)
    return slots


def reads(fixture_type: FixtureType, slots: dict[int, int], full: float) -> dict[str, float]:
    """What the receiver should report for those slots, in the show's unit."""
    shown: dict[str, float] = {}
    for name, attribute in fixture_type.attributes.items():
        coarse = slots[ADDRESS - 2 + attribute.channel]
        if attribute.fine is None:
            shown[name] = coarse if full == 255 else round(coarse * 100 / 255, 2)
        else:
            wide = coarse * 256 + slots[ADDRESS - 2 + attribute.fine]
            shown[name] = round(wide * full / 65535, 2)
    return shown


def params(values: dict[str, float]) -> str:
    return "{" + ", ".join(["fixture: fx", *(f"{k}: {v}" for k, v in values.items())]) + "}"


@dataclasses.dataclass
class Rig:
    """A loaded show, its engine, the real output and the simulated receiver."""

    fixture_type: FixtureType
    full: float
    first: dict[str, float]
    second: dict[str, float]
    sim: SacnReceiverSim
    output: SacnOutput
    engine: CueEngine
    clock: MonotonicClock = dataclasses.field(default_factory=MonotonicClock)

    def command(self, command: Command) -> None:
        for effect in self.engine.handle(command, self.clock.now()).effects:
            self.output.send(effect)

    async def until(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        async with asyncio.timeout(WITHIN):
            return await self.sim.until(check)

    def slots(self, values: dict[str, float]) -> dict[int, int]:
        return expected_slots(self.fixture_type, values, self.full)

    def reads(self, values: dict[str, float]) -> dict[str, float]:
        return reads(self.fixture_type, self.slots(values), self.full)

    def first_look(self, state: dict[str, Any]) -> bool:
        raw = math.floor(0.4 * 255 + 0.5)  # the level action, at address 512 of universe 1
        return fixture_values(state) == self.reads(self.first) and universe(state, 1)[511] == raw


CASES = [(type_id, "percent") for type_id in LIBRARY.ids()] + [("moving-light", "dmx")]


@pytest.fixture(params=CASES, ids=lambda case: "-".join(case))
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    type_id, unit = request.param
    fixture_type = LIBRARY.get(type_id)
    assert fixture_type is not None
    full = 100.0 if unit == "percent" else 255.0
    names = list(fixture_type.attributes)
    first = {name: round(full * (0.1 + 0.13 * i), 2) for i, name in enumerate(names)}
    second = {name: round(full * (0.9 - 0.11 * i), 2) for i, name in enumerate(names)}
    catalog = ProfileCatalog(
        load_profile(REPO / "profiles" / f"{name}.yaml") for name in ("generic-sacn", "cuebridge")
    )
    text = SHOW.format(
        unit=unit,
        type=type_id,
        universe=UNIVERSE,
        address=ADDRESS,
        first=params(first),
        second=params(second),
        raw=full * 0.4,
        raw_end=full,
    )
    show = load_show_text(text, f"{type_id}.yaml", catalog)
    device = show.devices["lx"]
    sim = SacnReceiverSim("lx", patch=device.patch)  # the patch reaches the simulator
    await sim.start()
    pointed = dataclasses.replace(device, connection={**device.connection, "port": sim.port})
    output = sacn_output_for(pointed, MonotonicClock(), None)
    try:
        await output.start()
        yield Rig(fixture_type, full, first, second, sim, output, CueEngine(show))
    finally:
        await output.aclose()
        await sim.aclose()


def fixture_values(state: dict[str, Any]) -> dict[str, float]:
    return dict(state["fixtures"]["fx"]["values"])


def universe(state: dict[str, Any], number: int) -> list[int]:
    return list(state["universes"].get(str(number), [0] * 512))


async def test_fixture_and_level_actions_set_and_fade(rig: Rig) -> None:
    rig.command(Go())
    state = await rig.until(rig.first_look)
    slots = universe(state, UNIVERSE)
    assert {slot: slots[slot] for slot in rig.slots(rig.first)} == rig.slots(rig.first)
    fading = [name for name, a in rig.fixture_type.attributes.items() if not a.snap]
    seen: list[dict[str, float]] = []

    def landed(state: dict[str, Any]) -> bool:
        seen.append(fixture_values(state))
        return fixture_values(state) == rig.reads(rig.second) and universe(state, 1)[511] == 255

    rig.command(Go())
    state = await rig.until(landed)
    slots = universe(state, UNIVERSE)
    assert {slot: slots[slot] for slot in rig.slots(rig.second)} == rig.slots(rig.second)
    start, end = rig.reads(rig.first), rig.reads(rig.second)
    for name in fading:  # the fade went through values between its ends
        low, high = sorted((start[name], end[name]))
        assert any(low < values[name] < high for values in seen), name
    assert rig.output.render_errors == 0
    assert rig.sim.stats()["ignored_total"] == 0


async def test_panic_takes_intensities_home_and_leaves_the_rest(rig: Rig) -> None:
    rig.command(Go())
    await rig.until(rig.first_look)
    rig.command(Panic())
    attributes = rig.fixture_type.attributes
    after = {
        name: 0.0 if attribute.panic else rig.first[name] for name, attribute in attributes.items()
    }
    state = await rig.until(
        lambda s: fixture_values(s) == rig.reads(after) and universe(s, 1)[511] == 0
    )
    assert any(attribute.panic for attribute in attributes.values())
    assert fixture_values(state) == rig.reads(after)
