"""The playhead: each cue list's standby cue and which cues are armed."""

from __future__ import annotations

from cuebridge.core.events import StandbyChanged
from cuebridge.core.model import ContinueMode, Cue, CueList
from cuebridge.core.snapshot import ListState


class Playhead:
    """Standby positions per list (None: past the end) over armed/disarmed flags."""

    def __init__(self, lists: dict[str, CueList], cues: dict[str, Cue]) -> None:
        self._lists = lists
        self._armed = {number: cue.armed for number, cue in cues.items()}
        self._standby: dict[str, int | None] = {}
        self.rewind()

    def rewind(self) -> list[StandbyChanged]:
        """Stand every list by on its first armed cue; returns what moved (at time 0)."""
        return [
            moved
            for list_id in self._lists
            if (moved := self.set(list_id, self.armed_from(list_id, 0, +1), 0.0)) is not None
        ]

    def position(self, list_id: str) -> int | None:
        """Index of the standby cue in its list."""
        return self._standby.get(list_id)

    def is_armed(self, number: str) -> bool:
        """Whether a cue may fire (disarmed cues are skipped)."""
        return self._armed[number]

    def disarmed(self) -> frozenset[str]:
        """Numbers of every disarmed cue."""
        return frozenset(n for n, armed in self._armed.items() if not armed)

    def set_armed(self, number: str, armed: bool) -> None:
        """Arm or disarm a cue."""
        self._armed[number] = armed

    def armed_from(self, list_id: str, start: int, step: int) -> int | None:
        """First armed position from `start` going by `step`, or None."""
        cues = self._lists[list_id].cues
        position = start
        while 0 <= position < len(cues):
            if self._armed[cues[position].number]:
                return position
            position += step
        return None

    def move_past(self, list_id: str, position: int, at: float) -> StandbyChanged | None:
        """Stand by after the cue at `position` and the continue chain it sets off."""
        cues = self._lists[list_id].cues
        last = position
        while last + 1 < len(cues) and cues[last].continue_mode is not ContinueMode.NONE:
            last += 1
        return self.set(list_id, self.armed_from(list_id, last + 1, +1), at)

    def set(self, list_id: str, position: int | None, at: float) -> StandbyChanged | None:
        """Move the standby; returns the event when it actually moved."""
        if list_id in self._standby and self._standby[list_id] == position:
            return None
        self._standby[list_id] = position
        number = None if position is None else self._lists[list_id].cues[position].number
        return StandbyChanged(at=at, cue_list=list_id, number=number)

    def list_state(self, cue_list: CueList) -> ListState:
        """The list's standby and the armed cue after it."""
        position = self._standby[cue_list.id]
        after = None if position is None else self.armed_from(cue_list.id, position + 1, +1)
        return ListState(
            id=cue_list.id,
            name=cue_list.name,
            standby=None if position is None else cue_list.cues[position].number,
            next=None if after is None else cue_list.cues[after].number,
        )
