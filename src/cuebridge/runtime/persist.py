"""Playback state on disk: standby, running cues and DMX levels, saved atomically on change.

Rules:
1. A save is atomic: a temporary file in the same directory is written, fsynced and renamed
   over the old one, so a crash leaves the previous state or the new one, never half.
2. Saves are debounced (at most one per `SAVE_INTERVAL`) and run in a worker thread; the
   event loop only takes the snapshot. Nothing is written when nothing changed.
3. A marker file exists while the daemon runs; finding it at start means the last run
   ended without a clean shutdown, and the saved state is recovered (`recovery.py`).
4. A state file that cannot be read or recovered never stops a start: the failure is
   logged and posted as a warning notice ("could not recover: ...; starting fresh").
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from cuebridge.core.effects import StartFade
from cuebridge.core.engine import Outcome
from cuebridge.core.events import (
    AllStopped,
    ArmChanged,
    CueFinished,
    CueSkipped,
    CueStarted,
    CueStopped,
    StandbyChanged,
)
from cuebridge.core.model import Show

if TYPE_CHECKING:
    from cuebridge.runtime.daemon import Daemon

logger = logging.getLogger(__name__)

STATE_FILE: Final = "playback.json"
MARKER_FILE: Final = "daemon.running"
SAVE_INTERVAL: Final = 0.1
FORMAT_VERSION: Final = 1
RECOVERY_TOPIC: Final = "recovery"
_PLAYBACK_EVENTS: Final = (
    StandbyChanged, CueStarted, CueFinished, CueStopped, CueSkipped, ArmChanged, AllStopped,
)  # fmt: skip


@runtime_checkable
class LevelKeeper(Protocol):
    """An output whose last levels can be read and put back (the sACN driver)."""

    def levels(self) -> Mapping[int, bytes]:
        """The current 512 slot values of every universe in use."""
        ...

    def restore_levels(self, levels: Mapping[int, bytes]) -> None:
        """Set every universe's slots to saved values (no fade)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackState:
    """What is needed to bring the show back after a crash; `saved_at` is Unix seconds."""

    show: str
    saved_at: float
    standby: Mapping[str, str | None]
    running: tuple[str, ...] = ()
    disarmed: tuple[str, ...] = ()
    levels: Mapping[str, Mapping[int, bytes]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """A JSON document; levels are base64 of each universe's slot values."""
        return {
            "version": FORMAT_VERSION,
            "show": self.show,
            "saved_at": self.saved_at,
            "standby": dict(self.standby),
            "running": list(self.running),
            "disarmed": list(self.disarmed),
            "levels": {
                device: {str(u): base64.b64encode(data).decode() for u, data in universes.items()}
                for device, universes in self.levels.items()
            },
        }

    @classmethod
    def from_json(cls, data: object) -> PlaybackState:
        """Read `to_json`'s document back; ValueError when it is not one."""
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"not a version {FORMAT_VERSION} playback state")
        try:
            standby = {str(k): None if v is None else str(v) for k, v in data["standby"].items()}
            levels = {
                str(device): {
                    int(u): base64.b64decode(text, validate=True) for u, text in u_map.items()
                }
                for device, u_map in data.get("levels", {}).items()
            }
            return cls(
                show=str(data["show"]),
                saved_at=float(data["saved_at"]),
                standby=standby,
                running=tuple(str(n) for n in data.get("running", [])),
                disarmed=tuple(str(n) for n in data.get("disarmed", [])),
                levels=levels,
            )
        except (KeyError, TypeError, AttributeError, binascii.Error) as err:
            raise ValueError(f"damaged playback state: {err!r}") from err


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash at any point leaves old or new (rule 1)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must survive a power cut
    finally:
        os.close(directory)


class StateStore:
    """The state file and the running marker in a state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.state_path = state_dir / STATE_FILE
        self.marker_path = state_dir / MARKER_FILE

    def read(self) -> PlaybackState | None:
        """The saved state, or None when there is none; raises when it cannot be read."""
        try:
            data = self.state_path.read_bytes()
        except FileNotFoundError:
            return None
        return PlaybackState.from_json(json.loads(data))

    def load(self) -> PlaybackState | None:
        """The saved state, or None when there is none or it cannot be read (logged)."""
        try:
            return self.read()
        except (OSError, ValueError, RecursionError) as err:
            logger.error("cannot read playback state %s: %s", self.state_path, err)
            return None

    def save(self, state: PlaybackState) -> bytes:
        """Write the state atomically; returns what was written."""
        data = json.dumps(state.to_json(), separators=(",", ":")).encode()
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.state_path, data)
        return data

    def was_unclean(self) -> bool:
        """Whether the last run left its marker behind (it did not shut down cleanly)."""
        return self.marker_path.exists()

    def mark_running(self) -> None:
        """Create the marker (and the state directory)."""
        self.marker_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.marker_path, f"{os.getpid()}\n".encode())

    def mark_clean(self) -> None:
        """Remove the marker: this run ended cleanly."""
        self.marker_path.unlink(missing_ok=True)


def capture(daemon: Daemon, wall: float) -> PlaybackState:
    """The daemon's playback state now (on the event loop: cheap, no I/O)."""
    snapshot = daemon.loop.snapshot()
    levels = {
        name: {int(u): bytes(values) for u, values in driver.levels().items()}
        for name, driver in daemon.drivers.items()
        if isinstance(driver, LevelKeeper)
    }
    return PlaybackState(
        show=daemon.show.source,
        saved_at=wall,
        standby={item.id: item.standby for item in snapshot.lists},
        running=tuple(cue.number for cue in snapshot.running),
        disarmed=tuple(sorted(snapshot.disarmed - _disarmed_in_file(daemon.show))),
        levels=levels,
    )


def _disarmed_in_file(show: Show) -> frozenset[str]:
    found: set[str] = set()
    stack = [cue for cue_list in show.cue_lists for cue in cue_list.cues]
    while stack:
        cue = stack.pop()
        if not cue.armed:
            found.add(cue.number)
        stack.extend(cue.children)
    return frozenset(found)


class PersistenceService:
    """Saves playback state as it changes; `prepare` recovers it after an unclean stop."""

    __name__ = "persistence"

    def __init__(
        self,
        state_dir: Path,
        *,
        recover_levels: bool = True,
        interval: float = SAVE_INTERVAL,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.store = StateStore(state_dir)
        self._recover_levels = recover_levels
        self._interval = interval
        self._wall = wall
        self._dirty = asyncio.Event()
        self._levels_until = -float("inf")
        self._level_devices: frozenset[str] = frozenset()
        self._last_written = b""
        self._prepared = False
        self._failing = False
        self.attempts = 0
        self.saves = 0
        self.recovered: str | None = None
        """The recovery notice's text when this start recovered a crashed run."""

    def prepare(self, daemon: Daemon) -> str | None:
        """Recover after an unclean stop, mark this run as running and start listening.

        Call before the first command is handled (before `daemon.run()`); returns the
        recovery message, or None when the last run stopped cleanly or left nothing.
        """
        if self._prepared:
            return self.recovered
        from cuebridge.runtime.recovery import recover  # recovery builds on this module

        self._prepared = True
        try:
            saved = self.store.read() if self.store.was_unclean() else None
            if saved is not None:
                self.recovered = recover(daemon, saved, restore_levels=self._recover_levels)
        except Exception as err:  # a damaged state file must never stop the show starting
            logger.exception("crash recovery from %s failed", self.store.state_path)
            self.recovered = f"could not recover: {err}; starting fresh"
            daemon.notices.post("warning", self.recovered, topic=RECOVERY_TOPIC)
        try:
            self.store.mark_running()
        except OSError as err:
            message = f"cannot write the state directory ({err}): no crash recovery for this run"
            daemon.notices.post("error", message, topic="persist")
            self._failing = True
        self._level_devices = frozenset(
            name for name, driver in daemon.drivers.items() if isinstance(driver, LevelKeeper)
        )
        daemon.loop.add_listener(lambda outcome: self._on_outcome(outcome, daemon))
        self._dirty.set()  # save the starting state at once
        return self.recovered

    async def __call__(self, daemon: Daemon) -> None:
        """Save on change until cancelled; then save once more and mark a clean stop."""
        self.prepare(daemon)
        try:
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                await self._save(daemon)
                await asyncio.sleep(self._interval)
                if daemon.clock.now() <= self._levels_until + self._interval:
                    self._dirty.set()  # a fade is still moving the levels
        finally:
            await self._save(daemon)
            try:
                await asyncio.to_thread(self.store.mark_clean)
            except OSError as err:  # the next start will recover needlessly, nothing worse
                logger.error("cannot remove %s: %s", self.store.marker_path, err)

    def _on_outcome(self, outcome: Outcome, daemon: Daemon) -> None:
        if any(isinstance(event, _PLAYBACK_EVENTS) for event in outcome.events):
            self._dirty.set()
        for effect in outcome.effects:
            if effect.device in self._level_devices:
                end = effect.begin + effect.duration if isinstance(effect, StartFade) else 0.0
                self._levels_until = max(self._levels_until, end, daemon.clock.now())
                self._dirty.set()

    async def _save(self, daemon: Daemon) -> None:
        try:
            await self._save_state(daemon)
        except Exception:  # a bug here must cost the recovery state, never the show
            logger.exception("saving the playback state failed")

    async def _save_state(self, daemon: Daemon) -> None:
        state = capture(daemon, self._wall())
        data = json.dumps({**state.to_json(), "saved_at": None}).encode()
        if data == self._last_written:
            return  # only the time moved (rule 2)
        self.attempts += 1
        try:
            await asyncio.to_thread(self.store.save, state)
        except OSError as err:
            if not self._failing:  # once per failure streak, not ten times a second
                self._failing = True
                daemon.notices.post(
                    "error",
                    f"cannot save the playback state ({err}); after a crash, recovery would "
                    "use an older state. The show continues.",
                    topic="persist",
                )
            return
        if self._failing:
            self._failing = False
            daemon.notices.post("info", "the playback state is being saved again", "persist")
        self._last_written = data
        self.saves += 1
