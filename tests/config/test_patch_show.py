"""Patches in show files: fixtures resolved, fixture actions split per attribute, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuebridge.config.profiles import ProfileCatalog, load_profile
from cuebridge.config.showfile import load_show_text
from cuebridge.core.dmx_patch import Unit
from cuebridge.core.model import Action, Show
from cuebridge.errors import ShowError

REPO = Path(__file__).resolve().parents[2]
SHOW = """\
version: 1
show: {{title: Patch}}
devices:
  lx:
    profile: generic-sacn
    host: 127.0.0.1
{device}
  sound: {{profile: generic-osc, port: 9000}}
cue_lists:
  - id: main
    cues:
      - number: "1"
        actions:
{actions}
"""
PATCH = """\
    patch:
      cyc-1: {type: rgb, universe: 1, address: 41}
      spot: {type: moving-light, universe: 2, address: 1}
      house: {type: dimmer, universe: 1, address: 1}"""


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    names = ("generic-sacn", "generic-osc", "cuebridge")
    return ProfileCatalog(load_profile(REPO / "profiles" / f"{name}.yaml") for name in names)


def show(catalog: ProfileCatalog, actions: str, device: str = PATCH) -> Show:
    return load_show_text(SHOW.format(device=device, actions=actions), "patch.yaml", catalog)


def actions_of(result: Show) -> tuple[Action, ...]:
    return result.cue_lists[0].cues[0].actions


def test_the_patch_reaches_the_device(catalog: ProfileCatalog) -> None:
    result = show(catalog, "          - {device: lx, action: level, params: "
                           "{universe: 1, address: 2, level: 50}}")  # fmt: skip
    patch = result.devices["lx"].patch
    assert patch is not None
    assert patch.unit is Unit.PERCENT
    assert list(patch.fixtures) == ["cyc-1", "spot", "house"]
    spot = patch.fixtures["spot"]
    assert (spot.type.id, spot.universe, spot.address, spot.type.footprint) == (
        "moving-light",
        2,
        1,
        7,
    )
    assert result.devices["sound"].patch is None


def test_a_fixture_action_becomes_one_action_per_attribute(catalog: ProfileCatalog) -> None:
    result = show(
        catalog,
        "          - {device: lx, action: fixture, params: "
        "{fixture: spot, intensity: 80, pan: 25, gobo: 10}, fade: 3, curve: s-curve}",
    )
    intensity, pan, gobo = actions_of(result)
    assert intensity.params == {"fixture": "spot", "attribute": "intensity", "value": 80.0}
    assert (intensity.fade, intensity.curve.value, intensity.fade_params) == (
        3.0,
        "s-curve",
        ("value",),
    )
    assert intensity.panic_params == ("value",)  # panic takes intensities home...
    assert pan.panic_params == ()  # ...and leaves positions where they are
    assert pan.home == {"value": 50.0}
    assert gobo.fade == 0.0  # wheels snap
    assert len({action.key for action in (intensity, pan, gobo)}) == 3  # separate targets
    assert result.cue_lists[0].cues[0].duration == 3.0


def test_dmx_unit_and_a_device_without_panic(catalog: ProfileCatalog) -> None:
    device = PATCH.replace("    patch:", "    unit: dmx\n    panic: false\n    patch:")
    result = show(
        catalog,
        "          - {device: lx, action: fixture, params: {fixture: spot, pan: 127.5, "
        "intensity: 255}}\n"
        "          - {device: lx, action: level, params: {universe: 1, address: 9, level: 255}}",
        device,
    )
    pan, intensity, level = actions_of(result)
    patch = result.devices["lx"].patch
    assert patch is not None
    assert patch.unit is Unit.DMX
    assert pan.home == {"value": 127.5}
    assert intensity.panic_params == ()
    assert level.params["level"] == 255


def test_an_sacn_device_without_a_patch_still_has_a_unit(catalog: ProfileCatalog) -> None:
    result = show(
        catalog,
        "          - {device: lx, action: level, params: {universe: 1, address: 9, level: 200}}",
        "    unit: dmx",
    )
    patch = result.devices["lx"].patch
    assert patch is not None
    assert (patch.unit, dict(patch.fixtures)) == (Unit.DMX, {})


OK_ACTION = "          - {device: lx, action: level, params: {universe: 1, address: 1, level: 1}}"


@pytest.mark.parametrize(
    ("device", "actions", "expected"),
    [
        (
            PATCH,
            "          - {device: lx, action: fixture, params: {fixture: cyc-2, red: 1}}",
            "17:61: cue_lists[0].cues[0].actions[0].params.fixture: expected a fixture in the "
            'patch of lx, got "cyc-2" (did you mean "cyc-1"?)',
        ),
        (
            PATCH,
            "          - {device: lx, action: fixture, params: {fixture: cyc-1, white: 1}}",
            '17:68: cue_lists[0].cues[0].actions[0].params.white: unknown attribute "white" for '
            "fixture cyc-1 of type rgb (expected one of: blue, green, red)",
        ),
        (
            PATCH,
            "          - {device: lx, action: fixture, params: {fixture: spot, intensity: 101}}",
            "17:78: cue_lists[0].cues[0].actions[0].params.intensity: expected a number from 0 "
            "to 100%, got 101",
        ),
        (
            PATCH.replace("    patch:", "    unit: dmx\n    patch:"),
            "          - {device: lx, action: fixture, params: {fixture: spot, pan: 256}}",
            "18:72: cue_lists[0].cues[0].actions[0].params.pan: expected a DMX value from 0 to "
            "255, got 256",
        ),
        (
            PATCH,
            "          - {device: lx, action: fixture, params: {fixture: spot}}",
            "17:51: cue_lists[0].cues[0].actions[0].params: expected at least one attribute of "
            "fixture spot to set (pan, tilt, colour, gobo, intensity)",
        ),
        (
            PATCH,
            "          - {device: lx, action: fixture, params: {red: 1}}",
            '17:51: cue_lists[0].cues[0].actions[0].params: missing required parameter "fixture" '
            "for action fixture",
        ),
        (
            PATCH,
            "          - {device: lx, action: level, params: "
            "{universe: 1, address: 513, level: 1}}",
            "17:72: cue_lists[0].cues[0].actions[0].params.address: expected a whole number from "
            "1 to 512, got 513",
        ),
        (
            PATCH,
            "          - {device: lx, action: level, params: "
            "{universe: 1, address: 5, level: 255}}",
            "17:82: cue_lists[0].cues[0].actions[0].params.level: expected a number from 0 to "
            "100%, got 255",
        ),
        (
            PATCH.replace("address: 41}", "address: 511}"),
            OK_ACTION,
            "8:48: devices.lx.patch.cyc-1.address: expected a start address from 1 to 510 (rgb "
            "takes 3 channels and must end by 512), got 511",
        ),
        (
            PATCH.replace("address: 41}", "address: 513}"),
            OK_ACTION,
            "8:48: devices.lx.patch.cyc-1.address: expected a DMX address from 1 to 512, got 513",
        ),
        (
            PATCH.replace("universe: 1, address: 1}", "universe: 1, address: 43}"),
            OK_ACTION,
            '10:51: devices.lx.patch.house.address: fixture "house" (address 43) overlaps '
            '"cyc-1" (addresses 41-43) at universe 1 address 43; patch each address once',
        ),
        (
            PATCH.replace("type: rgb,", "type: rbg,"),
            OK_ACTION,
            '8:21: devices.lx.patch.cyc-1.type: unknown fixture type "rbg" (did you mean "rgb"?)',
        ),
        (
            PATCH.replace("spot:", "Spot:"),
            OK_ACTION,
            '9:7: devices.lx.patch.Spot: expected a fixture name of lowercase letters, digits, "-" '
            'or "_", starting with a letter, got "Spot"',
        ),
        (
            "    unit: bright",
            OK_ACTION,
            '7:11: devices.lx.unit: expected percent or dmx, got "bright"',
        ),
    ],
)
def test_located_errors(catalog: ProfileCatalog, device: str, actions: str, expected: str) -> None:
    with pytest.raises(ShowError) as caught:
        show(catalog, actions, device)
    messages = [f"{p.line}:{p.column}: {p.path}: {p.message}" for p in caught.value.problems]
    assert any(message.startswith(expected) for message in messages), messages


def test_patch_and_unit_only_on_sacn_devices(catalog: ProfileCatalog) -> None:
    text = SHOW.format(device="", actions=OK_ACTION).replace(
        "  sound: {profile: generic-osc, port: 9000}",
        "  sound:\n    profile: generic-osc\n    port: 9000\n    unit: dmx\n"
        "    patch: {a: {type: dimmer, universe: 1, address: 1}}",
    )
    with pytest.raises(ShowError) as caught:
        load_show_text(text, "patch.yaml", catalog)
    assert [(p.path, p.line) for p in caught.value.problems] == [
        ("devices.sound.unit", 11),
        ("devices.sound.patch", 12),
    ]
    assert "only sacn devices have DMX levels" in caught.value.problems[0].message


def test_a_broken_patch_entry_is_reported_once(catalog: ProfileCatalog) -> None:
    device = PATCH.replace("type: rgb,", "type: nope,")
    action = "          - {device: lx, action: fixture, params: {fixture: cyc-1, red: 1}}"
    with pytest.raises(ShowError) as caught:
        show(catalog, action, device)
    assert [p.path for p in caught.value.problems] == ["devices.lx.patch.cyc-1.type"]
