"""Feedback to OSC clients: `/cuebridge/out/...` values for subscribers, QLab update notices."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cuebridge.control.osc_session import ClientSession
from cuebridge.control.osc_values import ShowLookup, feedback_values
from cuebridge.control.qlab_compat import cue_update, playback_position_update
from cuebridge.control.qlab_queries import QlabShowIndex
from cuebridge.core.model import Show
from cuebridge.core.snapshot import EngineSnapshot
from cuebridge.protocols.osc import OscArg, OscMessage
from cuebridge.runtime.clock import Clock
from cuebridge.runtime.status import DeviceHealth

logger = logging.getLogger(__name__)

DEFAULT_TTL = 10.0
"""Seconds a subscription lasts unless renewed (send `/cuebridge/subscribe` again)."""
MIN_TTL, MAX_TTL = 1.0, 600.0
TICK = 0.1
"""While cues run, progress and time left are refreshed this often."""
HEARTBEAT = 1.0
"""`/cuebridge/out/heartbeat` flips between 1.0 and 0.0 this often."""


@dataclass(eq=False, slots=True)
class _Subscription:
    session: ClientSession
    expires: float
    sent: dict[str, OscArg] = field(default_factory=dict)


class Feedback:
    """Pushes what changed, coalesced: one flush per wake-up, whatever woke it."""

    def __init__(
        self,
        *,
        snapshot: Callable[[], EngineSnapshot],
        show: Callable[[], Show],
        devices: Callable[[], Mapping[str, DeviceHealth]],
        clock: Clock,
    ) -> None:
        self._snapshot = snapshot
        self._show = show
        self._devices = devices
        self._clock = clock
        self._subscriptions: dict[int, _Subscription] = {}
        self._qlab_clients: dict[int, ClientSession] = {}
        self._qlab_seen: dict[str, object] | None = None
        self._lookup: ShowLookup | None = None
        self._index: QlabShowIndex | None = None
        self._dirty = asyncio.Event()
        self._busy = False

    @property
    def subscriber_count(self) -> int:
        """Live subscriptions."""
        return len(self._subscriptions)

    def notify(self, *_: object) -> None:
        """Something changed: flush soon (many calls before the flush make one)."""
        self._dirty.set()

    def subscribe(self, session: ClientSession, ttl: float) -> float:
        """Start or renew a subscription; a full dump follows. Returns the TTL granted."""
        ttl = min(MAX_TTL, max(MIN_TTL, ttl))
        sub = self._subscriptions.get(id(session))
        if sub is None or sub.session is not session:
            sub = _Subscription(session, 0.0)
            self._subscriptions[id(session)] = sub
        sub.expires = self._clock.now() + ttl
        sub.sent.clear()  # every (re)subscribe gets the whole state
        session.subscribed = True
        self.notify()
        return ttl

    def unsubscribe(self, session: ClientSession) -> None:
        """Stop pushing to `session` (also used when it disconnects)."""
        sub = self._subscriptions.get(id(session))
        if sub is not None and sub.session is session:
            del self._subscriptions[id(session)]
        if self._qlab_clients.get(id(session)) is session:
            del self._qlab_clients[id(session)]
        session.subscribed = False

    def set_qlab_updates(self, session: ClientSession, on: bool) -> None:
        """Send (or stop sending) QLab `/update/...` notices to `session`."""
        session.qlab_updates = on
        if on:
            self._qlab_clients[id(session)] = session
            if self._qlab_seen is None:
                self._qlab_seen = self._qlab_state(self._snapshot())
        elif self._qlab_clients.get(id(session)) is session:
            del self._qlab_clients[id(session)]

    def dump(self, session: ClientSession) -> None:
        """Send every feedback value once, without subscribing."""
        for address, arg in self._values(self._snapshot()).items():
            session.send(OscMessage(address, (arg,)))

    async def run(self) -> None:
        """Flush on every change and on the tick, until cancelled."""
        while True:
            timeout = self._next_wake()
            try:
                async with asyncio.timeout(timeout):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            self._dirty.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("OSC feedback flush failed")

    def flush(self) -> None:
        """Push every value that changed to every live subscriber; expire the rest."""
        now = self._clock.now()
        for key, sub in list(self._subscriptions.items()):
            if sub.expires <= now or sub.session.closed:
                del self._subscriptions[key]
                sub.session.subscribed = False
        for key, session in list(self._qlab_clients.items()):
            if session.closed:
                del self._qlab_clients[key]
        if not self._subscriptions and not self._qlab_clients:
            return
        snapshot = self._snapshot()
        if self._subscriptions:
            values = self._values(snapshot)
            for sub in self._subscriptions.values():
                for address, arg in values.items():
                    if sub.sent.get(address) != arg:
                        sub.session.send(OscMessage(address, (arg,)))
                        sub.sent[address] = arg
        if self._qlab_clients:
            self._push_qlab(snapshot)

    def _values(self, snapshot: EngineSnapshot) -> dict[str, OscArg]:
        show = self._show()
        if self._lookup is None or self._lookup.show is not show:
            self._lookup = ShowLookup(show)
        beat = float(int(self._clock.now() / HEARTBEAT) % 2 == 0)
        return feedback_values(snapshot, self._lookup, self._devices(), beat)

    def _next_wake(self) -> float | None:
        if not self._subscriptions and not self._qlab_clients:
            return None
        now = self._clock.now()
        wake = [sub.expires - now for sub in self._subscriptions.values()]
        if self._subscriptions:
            wake.append(HEARTBEAT - now % HEARTBEAT)
            snapshot = self._snapshot()
            if snapshot.running or snapshot.go_locked_until is not None:
                wake.append(TICK)
        return max(0.0, min(wake, default=TICK))

    def _index_for(self, show: Show) -> QlabShowIndex:
        if self._index is None or self._index.show is not show:
            self._index = QlabShowIndex(show)
        return self._index

    def _qlab_state(self, snapshot: EngineSnapshot) -> dict[str, object]:
        state: dict[str, object] = {f"list:{lst.id}": lst.standby for lst in snapshot.lists}
        state.update((f"cue:{run.number}", run.state) for run in snapshot.running)
        return state

    def _push_qlab(self, snapshot: EngineSnapshot) -> None:
        index = self._index_for(self._show())
        seen = self._qlab_seen or {}
        state = self._qlab_state(snapshot)
        notices: list[OscMessage] = []
        for key in sorted(state.keys() | seen.keys()):
            if state.get(key) == seen.get(key):
                continue
            kind, name = key.split(":", 1)
            if kind == "list":
                standby = state.get(key)
                cue_id = index.cue_id(str(standby)) if standby is not None else None
                notices.append(
                    playback_position_update(index.workspace_id, index.list_id(name), cue_id)
                )
            else:
                notices.append(cue_update(index.workspace_id, index.cue_id(name)))
        self._qlab_seen = state
        for session in self._qlab_clients.values():
            for notice in notices:
                session.send(notice)
