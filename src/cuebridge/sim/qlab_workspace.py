"""The workspace a simulated QLab holds: one cue list, its playhead, running and paused cues.

The simulator does not know the real workspace, so a cue number it has not seen is added to
the end of the list when a client names it (up to MAX_ENTRIES cues). Cues run until stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Final

from cuebridge.sim.base import JsonDict
from cuebridge.sim.osc_sim import MAX_ENTRIES

DEFAULT_CUES: Final = tuple(str(number) for number in range(1, 11))
_NAMESPACE: Final = uuid.UUID("6d1c3a52-2f1b-4a4c-9c3e-8f0f3b1a2c55")


class WorkspaceFull(LookupError):
    """No room for another cue."""


class Workspace:
    """Cues in list order, the playhead (the cue the next GO starts) and what runs."""

    def __init__(self, name: str, cues: Sequence[str] = DEFAULT_CUES) -> None:
        self.id = str(uuid.uuid5(_NAMESPACE, f"workspace {name}"))
        self.list_id = str(uuid.uuid5(_NAMESPACE, f"cue list {name}"))
        self.cues: list[str] = list(dict.fromkeys(cues))
        self.playhead: str | None = self.cues[0] if self.cues else None
        self.running: list[str] = []
        self.paused: list[str] = []

    def cue_id(self, number: str) -> str:
        """The uniqueID of a cue (stable for a given workspace and number)."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.id} cue {number}"))

    def number_of(self, cue_id: str) -> str | None:
        """The number of the cue with this uniqueID, if any."""
        return next((number for number in self.cues if self.cue_id(number) == cue_id), None)

    def ensure(self, number: str) -> None:
        """Add a cue the simulator has not seen yet to the end of the list."""
        if number not in self.cues:
            if len(self.cues) >= MAX_ENTRIES:
                raise WorkspaceFull(f"the workspace already holds {MAX_ENTRIES} cues")
            self.cues.append(number)

    def go(self) -> str | None:
        """Start the cue at the playhead and move the playhead on; the cue started, if any."""
        cue = self.playhead
        if cue is None:
            return None
        self.start(cue)
        self.playhead = self._after(cue)
        return cue

    def start(self, number: str) -> None:
        """Start a cue (no effect if it already runs); a paused cue starts over."""
        self.ensure(number)
        if number in self.paused:
            self.paused.remove(number)
        if number not in self.running:
            self.running.append(number)

    def stop(self, number: str | None = None) -> list[str]:
        """Stop one cue, or every running and paused cue; the cues stopped."""
        stopped = [cue for cue in [*self.running, *self.paused] if number is None or cue == number]
        self.running = [cue for cue in self.running if cue not in stopped]
        self.paused = [cue for cue in self.paused if cue not in stopped]
        return stopped

    def pause(self, number: str | None = None) -> list[str]:
        """Pause one running cue or all of them; the cues paused."""
        paused = [cue for cue in self.running if number is None or cue == number]
        self.running = [cue for cue in self.running if cue not in paused]
        self.paused += paused
        return paused

    def resume(self, number: str | None = None) -> list[str]:
        """Resume one paused cue or all of them; the cues resumed."""
        resumed = [cue for cue in self.paused if number is None or cue == number]
        self.paused = [cue for cue in self.paused if cue not in resumed]
        self.running += resumed
        return resumed

    def reset(self) -> None:
        """Stop everything and put the playhead on the first cue."""
        self.stop()
        self.playhead = self.cues[0] if self.cues else None

    def move_playhead(self, where: str) -> None:
        """Playhead to a cue number, or "next" / "previous" along the list."""
        if where in ("next", "previous"):
            if self.playhead is None:
                self.playhead = self.cues[0] if where == "next" and self.cues else None
                return
            index = self.cues.index(self.playhead) + (1 if where == "next" else -1)
            self.playhead = self.cues[min(max(index, 0), len(self.cues) - 1)]
            return
        self.ensure(where)
        self.playhead = where

    def cue_info(self, number: str) -> JsonDict:
        """A cue as QLab describes it in lists."""
        return {
            "uniqueID": self.cue_id(number),
            "number": number,
            "name": f"Cue {number}",
            "listName": f"Cue {number}",
            "type": "Audio",
            "colorName": "none",
            "flagged": False,
            "armed": True,
        }

    def cue_lists(self) -> list[JsonDict]:
        """The one cue list with its cues (the /cueLists reply)."""
        return [
            {
                "uniqueID": self.list_id,
                "number": "",
                "name": "Main Cue List",
                "listName": "Main Cue List",
                "type": "Cue List",
                "colorName": "none",
                "flagged": False,
                "armed": True,
                "cues": [self.cue_info(number) for number in self.cues],
            }
        ]

    def _after(self, number: str) -> str | None:
        index = self.cues.index(number) + 1
        return self.cues[index] if index < len(self.cues) else None
