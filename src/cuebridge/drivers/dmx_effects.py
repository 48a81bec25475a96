"""sACN effects (`level` and `fixture` actions) as DmxFader sets and fades, through the patch."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from cuebridge.core.dmx_patch import DmxPatch, DmxTarget
from cuebridge.core.effects import Effect, SendAction
from cuebridge.core.model import ParamValue
from cuebridge.drivers.dmx_fader import DmxFader

LEVEL_ACTION = "level"
FIXTURE_ACTION = "fixture"


def effect_targets(effect: Effect, patch: DmxPatch) -> list[DmxTarget]:
    """Where an effect's values land; ValueError (or KeyError) when it cannot be mapped.

    `level` takes `universe`, `address` and `level`. `fixture` takes `fixture` plus either
    `attribute` and `value` (what the show builder makes) or attributes by name.
    """
    given = effect.params if isinstance(effect, SendAction) else {**effect.params, **effect.end}
    if effect.action == LEVEL_ACTION:
        universe = whole_param(given, "universe", 1, 63999)
        address = whole_param(given, "address", 1, 512)
        return [patch.level_target(universe, address, number_param(given, "level"))]
    if effect.action != FIXTURE_ACTION:
        raise ValueError(f"unknown sACN action {effect.action!r}")
    fixture = given.get("fixture")
    if not isinstance(fixture, str):
        raise ValueError(f"fixture must be a fixture name, got {fixture!r}")
    if "attribute" in given:
        attribute = given["attribute"]
        values = {str(attribute): number_param(given, "value")}
    else:
        values = {name: number_param(given, name) for name in given if name != "fixture"}
    if not values:
        raise ValueError(f"no attribute of fixture {fixture!r} given")
    return [patch.target(fixture, name, value) for name, value in values.items()]


def apply_targets(
    fader: DmxFader, targets: Iterable[DmxTarget], effect: Effect | None, now: float
) -> None:
    """Set the targets at `now` (no effect, or a SendAction) or fade them as the StartFade says.

    A fade that began before `now` (resumed after a pause, or late) continues from what the
    channels show at `now` and still ends on time (`DmxFader.fade`).
    """
    by_universe: dict[int, list[DmxTarget]] = {}
    for target in targets:
        by_universe.setdefault(target.universe, []).append(target)
    for universe, group in by_universe.items():
        slots = np.array([target.slot for target in group], dtype=np.intp)
        levels = np.array([target.level for target in group], dtype=np.float64)
        fine_slots = [-1 if target.fine_slot is None else target.fine_slot for target in group]
        fine = np.array(fine_slots, dtype=np.intp) if max(fine_slots) >= 0 else None
        if effect is None or isinstance(effect, SendAction):
            fader.set(universe, slots, levels, now, fine=fine)
        else:
            fader.fade(
                universe,
                slots,
                levels,
                effect.curve,
                effect.begin,
                effect.duration,
                fine=fine,
                now=now,
            )


def whole_param(
    params: Mapping[str, ParamValue], name: str, low: int, high: int, default: int | None = None
) -> int:
    """A whole-number parameter within low..high (floats like 3.0 count); ValueError otherwise."""
    value = params.get(name, default)
    if value is None:
        raise ValueError(f"missing parameter {name!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, float) and not value.is_integer():  # also NaN and infinities
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be {low}-{high}, got {value}")
    return int(value)


def number_param(
    params: Mapping[str, ParamValue], name: str, default: float | None = None
) -> float:
    """A finite number parameter; ValueError otherwise."""
    value = params.get(name, default)
    if value is None:
        raise ValueError(f"missing parameter {name!r}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)
