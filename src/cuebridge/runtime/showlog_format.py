"""What the show log stores as details: effects grouped compactly, command and event fields, plans.

A cue that fades 256 channels sends 256 effects at once; the log keeps them as one row per
device, action and cue, with the parameter names once and one row of values per effect.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from cuebridge.core.commands import Command
from cuebridge.core.effects import Effect, StartFade
from cuebridge.core.events import Event
from cuebridge.core.model import Cue, Show


@dataclass(frozen=True, slots=True)
class EffectGroup:
    """Effects of one outcome for one device, action and cue, as one log entry."""

    device: str
    action: str
    cue: str
    at: float | None
    """The first fade's start (engine time), or None for "now"."""
    detail: dict[str, object]
    """`keys`: parameter names, then `fade` and `curve`; `values`: one list per effect."""


def effect_groups(effects: Iterable[Effect]) -> list[EffectGroup]:
    """Group effects by device, action and cue, keeping their order within each group."""
    grouped: dict[tuple[str, str, str], list[Effect]] = {}
    for effect in effects:
        grouped.setdefault((effect.device, effect.action, effect.cue), []).append(effect)
    groups = []
    for (device, action, cue), items in grouped.items():
        keys = sorted({key for effect in items for key in effect.params})
        values = []
        at = None
        for effect in items:
            row: list[object] = [effect.params.get(key) for key in keys]
            if isinstance(effect, StartFade):
                row += [effect.duration, effect.curve.value]
                at = effect.begin if at is None else at
            else:
                row += [0.0, ""]
            values.append(row)
        detail: dict[str, object] = {"keys": [*keys, "fade", "curve"], "values": values}
        groups.append(EffectGroup(device, action, cue, at, detail))
    return groups


def fields_of(value: Command | Event, skip: tuple[str, ...]) -> dict[str, object]:
    """A command's or event's fields without `skip` and empty ones; enums by value."""
    found: dict[str, object] = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if field.name in skip or item is None or item == "":
            continue
        found[field.name] = item.value if isinstance(item, Enum) else item
    return found


def show_plan(show: Show) -> dict[str, object]:
    """Title, source and every cue's number, name, list, planned start and durations."""
    cues: list[dict[str, object]] = []

    def walk(cue: Cue, list_id: str, depth: int) -> None:
        planned = cue.planned_start
        cues.append(
            {
                "number": cue.number,
                "name": cue.name,
                "list": list_id,
                "depth": depth,
                "planned_start": None if planned is None else [planned.kind, planned.seconds],
                "planned_duration": cue.planned_duration,
                "duration": cue.pre_wait + cue.duration,
            }
        )
        for child in cue.children:
            walk(child, list_id, depth + 1)

    for cue_list in show.cue_lists:
        for cue in cue_list.cues:
            walk(cue, cue_list.id, 0)
    return {"title": show.title, "source": show.source, "cues": cues}
