"""Formats engine events as logfmt lines: structured for machines, readable for people."""

from __future__ import annotations

import dataclasses
import logging
import re
from enum import Enum

from cuebridge.core.engine import Outcome
from cuebridge.core.events import Event
from cuebridge.core.model import Show

logger = logging.getLogger("cuebridge.events")

_BARE = re.compile(r"^[A-Za-z0-9_.:/+-]+$")


def event_name(event: Event) -> str:
    """`CueStarted` -> `cue-started`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type(event).__name__).lower()


def _quote(value: object) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    if text and _BARE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_event(
    event: Event, show: Show | None = None, names: dict[str, str] | None = None
) -> str:
    """One logfmt line: `event=cue-started at=12.500 number=1 name="Walk-in" ...`."""
    fields: list[tuple[str, object]] = [("event", event_name(event))]
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if value == "" or (value is None and field.name != "number"):
            continue
        fields.append((field.name, "none" if value is None else value))
        if field.name == "number" and names and value in names:
            fields.append(("name", names[value]))
    return " ".join(f"{key}={_quote(value)}" for key, value in fields)


class EventLogger:
    """Writes every event of every engine outcome to the `cuebridge.events` logger."""

    def __init__(self, show: Show) -> None:
        self._names: dict[str, str] = {}
        self.use_show(show)

    def use_show(self, show: Show) -> None:
        """Name cues after `show` (after a reload); numbers that left keep their last name."""
        for cue_list in show.cue_lists:
            stack = list(cue_list.cues)
            while stack:
                cue = stack.pop()
                self._names[cue.number] = cue.name
                stack.extend(cue.children)

    def __call__(self, outcome: Outcome) -> None:
        """Log one outcome's events."""
        for event in outcome.events:
            logger.info("%s", format_event(event, names=self._names))
