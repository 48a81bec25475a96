"""Builds the panel's JSON state object from a running daemon (see the web contract)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from cuebridge.core.engine import CONTROL_DEVICE, Outcome
from cuebridge.core.events import AllStopped, CueStarted, Trigger
from cuebridge.core.model import Cue, PlannedStart, Show
from cuebridge.core.snapshot import EngineSnapshot
from cuebridge.runtime.daemon import Daemon
from cuebridge.sim.base import SimulatedDevice

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
DAY = 86_400.0
ACTIVE_STATES = frozenset({"pre-wait", "running", "post-wait", "paused"})


class ShowClock:
    """Remembers when the show's first GO happened (engine time); a reset forgets it."""

    def __init__(self) -> None:
        self.origin: float | None = None
        self.heard = False
        """Whether a first GO or a reset was seen (else the origin is unknown, not absent)."""

    def __call__(self, outcome: Outcome) -> None:
        """Engine-loop listener."""
        for event in outcome.events:
            if isinstance(event, AllStopped) and event.reset:
                self.origin = None
                self.heard = True
            elif (
                isinstance(event, CueStarted)
                and self.origin is None
                and event.trigger in (Trigger.GO, Trigger.START)
            ):
                self.origin = event.at
                self.heard = True


class StateBuilder:
    """Turns the engine snapshot, show, device board, simulators and notices into one dict.

    Engine times are monotonic; wall-clock times come from an offset measured once at start,
    so a wall-clock step (NTP, daylight saving) never reorders what the panel shows.
    """

    def __init__(
        self,
        daemon: Daemon,
        show_clock: ShowClock,
        protocol_of: Callable[[str], str],
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._daemon = daemon
        self._show_clock = show_clock
        self._protocol_of = protocol_of
        self._wall_offset = wall_clock() - daemon.clock.now()
        self._broken: set[str] = set()

    def wall(self, engine_time: float) -> datetime:
        """Local wall-clock time of an engine (monotonic) time."""
        return datetime.fromtimestamp(engine_time + self._wall_offset).astimezone()

    def build(self) -> JsonDict:
        """The full state object, as of now."""
        daemon = self._daemon
        snap = daemon.loop.snapshot()
        show = daemon.show
        origin = self._origin(snap)
        locked = 0.0 if snap.go_locked_until is None else max(0.0, snap.go_locked_until - snap.at)
        return {
            "show": {"title": show.title, "source": show.source},
            "server_time": snap.at,
            "wall_time": self.wall(snap.at).isoformat(timespec="milliseconds"),
            "show_clock": None if origin is None else max(0.0, snap.at - origin),
            "go_locked_for": locked,
            "panic": snap.panic_until is not None and snap.panic_until > snap.at,
            "lists": self._lists(show, snap),
            "running": [
                {
                    "list": run.cue_list,
                    "number": run.number,
                    "name": run.name,
                    "state": run.state.value,
                    "elapsed": run.elapsed,
                    "remaining": run.remaining,
                    "progress": run.progress,
                }
                for run in snap.running
            ],
            "schedule": {"delta": self._schedule_delta(show, snap, origin)},
            "devices": self._devices(show),
            "notices": [
                {"level": n.level, "message": n.message, "topic": n.topic, "at": n.at}
                for n in daemon.notices.items()
            ],
        }

    def _origin(self, snap: EngineSnapshot) -> float | None:
        if self._show_clock.heard:
            return self._show_clock.origin
        # Started after the first GO (or the listener missed it): the earliest start still known.
        return min(snap.actual_starts.values(), default=None)

    def _lists(self, show: Show, snap: EngineSnapshot) -> list[JsonDict]:
        return [
            {
                "id": cue_list.id,
                "name": cue_list.name,
                "standby": listed.standby,
                "next": listed.next,
                "cues": [
                    self._cue(cue, depth, parent, listed.standby, snap)
                    for cue, depth, parent in _flatten(cue_list.cues)
                ],
            }
            for cue_list, listed in zip(show.cue_lists, snap.lists, strict=False)
        ]

    def _cue(
        self, cue: Cue, depth: int, parent: str | None, standby: str | None, snap: EngineSnapshot
    ) -> JsonDict:
        known = snap.cue_states.get(cue.number)
        state = "idle" if known is None else known.value
        if cue.number == standby and state not in ACTIVE_STATES:
            state = "standby"
        started = snap.actual_starts.get(cue.number)
        return {
            "number": cue.number,
            "name": cue.name,
            "notes": cue.notes,
            "colour": cue.colour,
            "depth": depth,
            "parent": parent,
            "armed": cue.number not in snap.disarmed,
            "state": state,
            "duration": cue.duration,
            "pre_wait": cue.pre_wait,
            "post_wait": cue.post_wait,
            "continue": cue.continue_mode.value,
            "planned_start": None if cue.planned_start is None else cue.planned_start.describe(),
            "actual_start": None
            if started is None
            else self.wall(started).isoformat(timespec="milliseconds"),
        }

    def _schedule_delta(
        self, show: Show, snap: EngineSnapshot, origin: float | None
    ) -> float | None:
        plans = {
            cue.number: cue.planned_start
            for cue_list in show.cue_lists
            for cue, _, _ in _flatten(cue_list.cues)
            if cue.planned_start is not None
        }
        fired = [(at, number) for number, at in snap.actual_starts.items() if number in plans]
        if not fired:
            return None
        actual, number = max(fired)
        return self._delta(plans[number], actual, origin)

    def _delta(self, plan: PlannedStart, actual: float, origin: float | None) -> float | None:
        if plan.kind == "offset":
            return None if origin is None else actual - (origin + plan.seconds)
        wall = self.wall(actual)
        midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
        delta = (wall - midnight).total_seconds() - plan.seconds
        # A show running past midnight: the plan means the nearest such time of day.
        if delta > DAY / 2:
            delta -= DAY
        elif delta < -DAY / 2:
            delta += DAY
        return delta

    def _devices(self, show: Show) -> list[JsonDict]:
        daemon = self._daemon
        health = daemon.status_board.all()
        names = [name for name in show.devices if name != CONTROL_DEVICE]
        names += [name for name in daemon.simulators if name not in show.devices]
        devices = []
        for name in names:
            device = show.devices.get(name)
            profile = device.profile if device is not None else ""
            status = health.get(name) or daemon.status_board.get(name)
            sim = daemon.simulators.get(name)
            faults, sim_state = (None, None) if sim is None else self._sim_view(sim)
            devices.append(
                {
                    "name": name,
                    "profile": profile,
                    "protocol": self._protocol_of(profile) if profile else "",
                    "status": status.status.value,
                    "detail": status.detail,
                    "simulated": sim is not None,
                    "faults": faults,
                    "sim": sim_state,
                }
            )
        return devices

    def _sim_view(self, sim: SimulatedDevice) -> tuple[JsonDict | None, JsonDict | None]:
        """A simulator's fault switches and live state; a broken one shows its error instead."""
        try:
            return sim.faults.as_dict(), sim.state()
        except Exception as err:
            # A broken simulator must not take the whole panel down with it; log it once.
            if sim.name not in self._broken:
                self._broken.add(sim.name)
                logger.exception("simulator %s cannot report its state", sim.name)
            return None, {"error": f"state unavailable: {err}"}


def _flatten(
    cues: tuple[Cue, ...], depth: int = 0, parent: str | None = None
) -> Iterator[tuple[Cue, int, str | None]]:
    for cue in cues:
        yield cue, depth, parent
        yield from _flatten(cue.children, depth + 1, cue.number)
