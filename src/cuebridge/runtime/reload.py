"""Hot reload: watch the show file, check an edit off the loop, swap it in between two commands.

Rules:
1. The file is polled (size and modification time every `POLL_INTERVAL`, content hash on
   change); an edit is loaded only once it has stayed the same for one poll, so an editor's
   half-written save is not reported as an error.
2. Parsing and checking run in a worker thread; only the swap runs on the event loop, at a
   safe point between two engine steps (`EngineLoop.replace_show`).
3. An invalid edit changes nothing: the loaded show keeps running and the located problems
   are posted as a notice (topic "reload"); the next good edit replaces that notice.
4. Outputs and remote inputs are built at start: added, removed or reconfigured devices,
   and any change to the `control:` section (OSC access, MIDI map, MSC, timecode), are
   reported as needing a restart, never silently ignored.
5. `adapt`, when given, is applied to every freshly loaded show before it is compared or
   swapped in (rehearsal: re-point the devices at the simulators, as at start).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.config.showfile import load_show_text
from cuebridge.core.engine import CONTROL_DEVICE
from cuebridge.core.model import Show
from cuebridge.errors import InputFileError, Problem, ShowError

if TYPE_CHECKING:
    from cuebridge.runtime.daemon import Daemon

logger = logging.getLogger(__name__)

POLL_INTERVAL: Final = 0.5
TOPIC: Final = "reload"

_Fingerprint = tuple[int, int]
ShowAdapter = Callable[[Show], Show]
"""Turns a show as loaded from the file into the show the daemon runs (e.g. `--simulate`)."""


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did, in the words of its notice."""

    ok: bool
    message: str


class ShowReloader:
    """The reload service: polls the show file and offers `reload()` to admins."""

    __name__ = "reload"

    def __init__(
        self,
        show_path: Path,
        catalog: ProfileCatalog,
        *,
        poll: float = POLL_INTERVAL,
        adapt: ShowAdapter | None = None,
    ) -> None:
        self.path = show_path
        self._catalog = catalog
        self._poll = poll
        self._adapt = adapt
        self._daemon: Daemon | None = None
        self._lock = asyncio.Lock()
        self._seen: _Fingerprint | None = None
        self._pending: _Fingerprint | None = None
        self._digest = b""
        self._missing = False
        self._troubled = False
        """A warning or error notice is up that the next good file must replace."""
        self.applied = 0
        self.rejected = 0

    def prepare(self, daemon: Daemon) -> None:
        """Remember the file as loaded and offer `daemon.reload` (for the panel's admin)."""
        if self._daemon is not None:
            return
        self._daemon = daemon
        self._seen = _fingerprint(self.path)
        try:
            self._digest = hashlib.sha256(self.path.read_bytes()).digest()
        except OSError:
            self._digest = b""
        # Daemon declares no reload slot yet; the web panel looks it up with getattr.
        daemon.reload = self.reload

    async def __call__(self, daemon: Daemon) -> None:
        """Poll the file until cancelled."""
        self.prepare(daemon)
        while True:
            await asyncio.sleep(self._poll)
            try:
                await self.check()
            except Exception:
                logger.exception("show file watch failed; it keeps watching")

    async def check(self) -> ReloadResult | None:
        """One poll: reload when the file changed and settled (rule 1); None if nothing to do."""
        found = _fingerprint(self.path)
        if found is None:
            if not self._missing:
                self._missing = self._troubled = True
                self._post("warning", f"show file {self.path} is missing (deleted or moved?); "
                           "the loaded show continues")  # fmt: skip
            return None
        self._missing = False
        if found == self._seen:
            return None
        if found != self._pending:
            self._pending = found  # still being written, perhaps: look again next poll
            return None
        return await self._reload(force=False)

    async def reload(self) -> ReloadResult:
        """Reload the show file now, changed or not (the admin command)."""
        result = await self._reload(force=True)
        assert result is not None  # a forced reload always applies or rejects
        return result

    async def _reload(self, *, force: bool) -> ReloadResult | None:
        async with self._lock:
            self._seen = self._pending = _fingerprint(self.path)
            try:
                digest, show = await asyncio.to_thread(self._load)
            except InputFileError as err:
                self.rejected += 1
                self._troubled = True
                message = f"show file edit rejected, the loaded show keeps running:\n{err}"
                self._post("error", message)
                return ReloadResult(ok=False, message=message)
            except Exception as err:  # a bug (or a failing `adapt`) must not stop the watch
                logger.exception("loading the edited show failed")
                self.rejected += 1
                self._troubled = True
                message = f"show file edit not loaded ({err!r}); the loaded show keeps running"
                self._post("error", message)
                return ReloadResult(ok=False, message=message)
            if digest == self._digest and not force:
                if self._troubled:  # an invalid edit was undone, or the file came back
                    self._troubled = False
                    self._post("info", f"show file {self.path} is valid and unchanged")
                return None  # touched, not changed
            self._troubled = False
            self._digest = digest
            return self._apply(show)

    def _load(self) -> tuple[bytes, Show]:
        """Read, hash and check the file (in a worker thread)."""
        try:
            data = self.path.read_bytes()
        except OSError as err:
            raise ShowError([_problem(str(self.path), f"cannot read file: {err}")]) from err
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ShowError([_problem(str(self.path), f"not UTF-8 text: {err}")]) from err
        show = load_show_text(text, str(self.path), self._catalog)
        return hashlib.sha256(data).digest(), show if self._adapt is None else self._adapt(show)

    def _apply(self, show: Show) -> ReloadResult:
        daemon = self._require_daemon()
        before = {state.id: state.standby for state in daemon.loop.snapshot().lists}
        try:
            daemon.loop.replace_show(show)
        except Exception as err:  # a bug must not take the running show with it
            logger.exception("applying the edited show failed")
            message = f"show file edit not applied ({err}); the loaded show keeps running"
            self._post("error", message)
            return ReloadResult(ok=False, message=message)
        old, daemon.show = daemon.show, show
        after = daemon.loop.snapshot().lists
        notes = [
            f"standby {before[state.id]} no longer exists in list {state.id}; standing by on "
            + ("nothing (end of list)" if state.standby is None else state.standby)
            for state in after
            if before.get(state.id) not in (None, state.standby)
        ]
        notes += _device_changes(old, show)
        notes += _control_changes(old, show)
        self.applied += 1
        cues = sum(len(cue_list.cues) for cue_list in show.cue_lists)
        message = "; ".join([f"show file reloaded ({cues} top-level cues)", *notes])
        self._post("warning" if notes else "info", message)
        return ReloadResult(ok=True, message=message)

    def _post(self, level: str, message: str) -> None:
        self._require_daemon().notices.post(level, message, topic=TOPIC)

    def _require_daemon(self) -> Daemon:
        if self._daemon is None:
            raise RuntimeError("ShowReloader.prepare(daemon) was not called")
        return self._daemon


def reload_service(
    show_path: Path,
    catalog: ProfileCatalog,
    *,
    poll: float = POLL_INTERVAL,
    adapt: ShowAdapter | None = None,
) -> ShowReloader:
    """The reload service for a show file (see `ShowReloader`; `adapt`: rule 5)."""
    return ShowReloader(show_path, catalog, poll=poll, adapt=adapt)


def _device_changes(old: Show, new: Show) -> list[str]:
    """What an edit did to devices that only a restart applies (rule 4)."""
    before = {n: d for n, d in old.devices.items() if n != CONTROL_DEVICE}
    after = {n: d for n, d in new.devices.items() if n != CONTROL_DEVICE}
    changes = []
    if added := sorted(after.keys() - before.keys()):
        changes.append(f"added {', '.join(added)} (not connected: cues sent to it are lost)")
    if removed := sorted(before.keys() - after.keys()):
        changes.append(f"removed {', '.join(removed)} (its output stays open)")
    if changed := sorted(n for n in before.keys() & after.keys() if before[n] != after[n]):
        changes.append(f"changed {', '.join(changed)} (still using the old settings)")
    if not changes:
        return []
    return [f"device changes need a restart: {'; '.join(changes)}"]


_CONTROL_LABELS: Final = {
    "osc": "OSC access",
    "midi_input": "MIDI input",
    "midi_map": "MIDI map",
    "msc_device_id": "MSC device id",
    "msc_groups": "MSC groups",
    "msc_input": "MSC input",
}


def _control_changes(old: Show, new: Show) -> list[str]:
    """What an edit did to the `control:` section; remote inputs read it only at start."""
    changed = [
        _CONTROL_LABELS.get(part.name, part.name)
        for part in dataclasses.fields(old.control)
        if getattr(old.control, part.name) != getattr(new.control, part.name)
    ]
    if not changed:
        return []
    return [f"control changes need a restart: {', '.join(changed)} (still using the old settings)"]


def _fingerprint(path: Path) -> _Fingerprint | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _problem(file: str, message: str) -> Problem:
    return Problem(file=file, line=1, column=1, path="", message=message)
