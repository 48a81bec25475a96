"""Answers to QLab queries: stable unique IDs, cue dictionaries and cue properties."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from cuebridge.core.cuenumber import cue_sort_key, is_valid_cue_number
from cuebridge.core.model import ContinueMode, Cue, CueList, Show
from cuebridge.core.snapshot import CueState, EngineSnapshot, RunningCue

_NAMESPACE = uuid.UUID("8f6f0a52-64a5-4b8e-9a43-2f4bb0c3c0de")
_CONTINUE = {ContinueMode.NONE: 0, ContinueMode.AUTO_CONTINUE: 1, ContinueMode.AUTO_FOLLOW: 2}
_ACTIVE = frozenset({CueState.PRE_WAIT, CueState.RUNNING, CueState.POST_WAIT})


class QueryError(ValueError):
    """A query names no cue, or asks for something cuebridge cannot answer."""


@dataclass(frozen=True, slots=True)
class _Entry:
    cue: Cue
    cue_list: CueList
    parent: Cue | None


class QlabShowIndex:
    """One show seen through QLab's eyes: UUIDs derived from the title and cue numbers.

    The IDs are stable across restarts and reloads, so a Companion page keeps working.
    """

    def __init__(self, show: Show) -> None:
        self.show = show
        self.workspace_id = str(uuid.uuid5(_NAMESPACE, f"workspace:{show.title}"))
        self._entries: dict[str, _Entry] = {}
        self._by_key: dict[tuple[int, ...], str] = {}
        self._ids: dict[str, tuple[str, str]] | None = None
        for cue_list in show.cue_lists:
            for cue, parent in _walk(cue_list.cues, None):
                self._entries[cue.number] = _Entry(cue, cue_list, parent)
                self._by_key[cue_sort_key(cue.number)] = cue.number

    def cue_id(self, number: str) -> str:
        """A cue's QLab uniqueID."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.workspace_id}/cue/{number}"))

    def list_id(self, list_id: str) -> str:
        """A cue list's QLab uniqueID."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.workspace_id}/list/{list_id}"))

    def canonical(self, number: str) -> str | None:
        """The show's own spelling of a cue number ("01" -> "1"), or None when unknown."""
        if not is_valid_cue_number(number):
            return None
        return self._by_key.get(cue_sort_key(number))

    def resolve_id(self, unique_id: str) -> tuple[str, str] | None:
        """("cue", number) or ("list", id) for a uniqueID, or None."""
        if self._ids is None:  # built on first use: plain GOs never pay for the UUIDs
            self._ids = {self.list_id(lst.id): ("list", lst.id) for lst in self.show.cue_lists}
            self._ids.update((self.cue_id(n), ("cue", n)) for n in self._entries)
        return self._ids.get(unique_id)

    def cue_lists(self, snapshot: EngineSnapshot) -> list[dict[str, object]]:
        """The `/cueLists` answer: every list with its nested cues."""
        return [
            {
                "uniqueID": self.list_id(cue_list.id),
                "number": "",
                "name": cue_list.name,
                "listName": cue_list.name,
                "type": "cue list",
                "colorName": "none",
                "flagged": False,
                "armed": True,
                "cues": [self._cue_dict(cue, cue_list, snapshot) for cue in cue_list.cues],
            }
            for cue_list in self.show.cue_lists
        ]

    def _cue_dict(self, cue: Cue, cue_list: CueList, snapshot: EngineSnapshot) -> dict[str, object]:
        found: dict[str, object] = {
            "uniqueID": self.cue_id(cue.number),
            "number": cue.number,
            "name": cue.name,
            "listName": cue.name,
            "type": _type(cue),
            "colorName": cue.colour or "none",
            "flagged": False,
            "armed": cue.number not in snapshot.disarmed,
        }
        if cue.is_group:
            found["cues"] = [self._cue_dict(kid, cue_list, snapshot) for kid in cue.children]
        return found

    def running(self, snapshot: EngineSnapshot, *, paused: bool) -> list[dict[str, object]]:
        """The `/runningCues` (or `/runningOrPausedCues`) answer, shallow."""
        states = _ACTIVE | {CueState.PAUSED} if paused else _ACTIVE
        return [
            self.shallow(run.number)
            for run in snapshot.running
            if run.state in states and run.number in self._entries
        ]

    def shallow(self, number: str) -> dict[str, object]:
        """A cue's identity dictionary."""
        cue = self._entries[number].cue
        return {
            "uniqueID": self.cue_id(number),
            "number": number,
            "name": cue.name,
            "listName": cue.name,
            "type": _type(cue),
            "colorName": cue.colour or "none",
        }

    def property(self, number: str, prop: str, arg: str | None, snap: EngineSnapshot) -> object:
        """One cue property (or `valuesForKeys` with a JSON array of keys)."""
        if prop == "valuesForKeys":
            try:
                keys = json.loads(arg or "")
            except ValueError:
                raise QueryError("valuesForKeys needs a JSON array of keys") from None
            if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
                raise QueryError("valuesForKeys needs a JSON array of keys")
            return {key: self._value(number, key, snap) for key in keys}
        return self._value(number, prop, snap)

    def _value(self, number: str, prop: str, snap: EngineSnapshot) -> object:
        entry = self._entries[number]
        cue, run = entry.cue, _run_of(snap, number)
        parent = (
            self.cue_id(entry.parent.number) if entry.parent else self.list_id(entry.cue_list.id)
        )
        standby = {state.standby for state in snap.lists}
        values: dict[str, object] = {
            "uniqueID": self.cue_id(number),
            "number": number,
            "name": cue.name,
            "displayName": cue.name or number,
            "listName": cue.name,
            "type": _type(cue),
            "notes": cue.notes,
            "colorName": cue.colour or "none",
            "armed": number not in snap.disarmed,
            "flagged": False,
            "isRunning": run is not None and run.state in _ACTIVE,
            "isPaused": run is not None and run.state is CueState.PAUSED,
            "isLoaded": number in standby,
            "isBroken": False,
            "duration": cue.duration,
            "actionElapsed": 0.0 if run is None else max(0.0, run.elapsed - cue.pre_wait),
            "percentActionElapsed": 0.0 if run is None else run.progress,
            "preWait": cue.pre_wait,
            "postWait": cue.post_wait,
            "continueMode": _CONTINUE[cue.continue_mode],
            "parent": parent,
        }
        return values.get(prop)


def _walk(cues: tuple[Cue, ...], parent: Cue | None) -> Iterator[tuple[Cue, Cue | None]]:
    for cue in cues:
        yield cue, parent
        yield from _walk(cue.children, cue)


def _type(cue: Cue) -> str:
    if cue.is_group:
        return "group"
    return "network" if cue.actions else "memo"


def _run_of(snapshot: EngineSnapshot, number: str) -> RunningCue | None:
    return next((run for run in snapshot.running if run.number == number), None)


def latest_running(snapshot: EngineSnapshot, top_level: frozenset[str]) -> RunningCue | None:
    """The cue to show as "running": the most recently started, a top-level cue on a tie."""
    if not snapshot.running:
        return None
    return max(snapshot.running, key=lambda run: (run.started_at, run.number in top_level))
