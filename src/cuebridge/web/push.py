"""Pushes state to panel clients: coalesced on change, refreshed while things move, plus ticks.

Rules:
1. Listeners (engine, device board, notices) only set a flag; they never build or send.
2. One state is built and encoded per push and broadcast to every authenticated client.
3. At most one push per `min_interval`; the push always carries the latest state.
4. A client whose send queue is backed up is skipped, then sent the latest state once it drains,
   so a stalled tablet costs memory for one state, not one per push, and delays nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from cuebridge.web.state import JsonDict

logger = logging.getLogger(__name__)

PANEL_ROOM = "panel"
"""Socket.io room of authenticated clients; broadcasts go here, never to the whole namespace."""
BACKLOG_LIMIT = 8
"""Packets waiting for one client beyond which it is considered stalled."""
VOLATILE = ("server_time", "wall_time", "show_clock", "go_locked_for", "running")
"""Fields that move with time; panels count them on locally from `server_time`."""
MOVING = ("elapsed", "remaining", "progress")
"""The same for each running cue."""


def _comparable(state: JsonDict) -> JsonDict:
    """The state minus what changes every instant; a difference here is worth a push."""
    stable = {key: value for key, value in state.items() if key not in VOLATILE}
    stable["running"] = [
        {key: value for key, value in run.items() if key not in MOVING}
        for run in state.get("running", ())
    ]
    return stable


class StatePusher:
    """Owns every server-initiated message to panel clients."""

    def __init__(
        self,
        sio: Any,
        build: Callable[[], JsonDict],
        clock: Callable[[], float],
        *,
        min_interval: float = 0.03,
        refresh_interval: float = 0.25,
        progress_interval: float = 1.0,
        tick_interval: float = 1.0,
    ) -> None:
        self._sio = sio
        self._build = build
        self._clock = clock
        self._min_interval = min_interval
        self._refresh_interval = refresh_interval
        self._progress_interval = progress_interval
        self._tick_interval = tick_interval
        self._dirty = asyncio.Event()
        self._last_push = float("-inf")
        self._last_pushed: JsonDict | None = None
        self._stalled: set[str] = set()
        self._outbox: asyncio.Queue[tuple[str, JsonDict | None, str]] = asyncio.Queue()
        self.pushes = 0

    def changed(self, *_: object) -> None:
        """Note that the state changed; usable directly as any listener."""
        self._dirty.set()

    def send_later(self, event: str, data: JsonDict | None, sid: str) -> None:
        """Queue one message for one client from synchronous code; `state` with None data
        sends the state as it is when the message leaves."""
        self._outbox.put_nowait((event, data, sid))

    async def send_state(self, sid: str) -> None:
        """Send the full state to one client (on connect and on resync)."""
        await self._sio.emit("state", self._build(), to=sid)

    async def run(self) -> None:
        """Run the push, refresh, tick and outbox loops until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._push_loop(), name="web-push")
            group.create_task(self._refresh_loop(), name="web-refresh")
            group.create_task(self._tick_loop(), name="web-tick")
            group.create_task(self._outbox_loop(), name="web-outbox")

    async def _push_loop(self) -> None:
        while True:
            await self._dirty.wait()
            wait = self._last_push + self._min_interval - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self._dirty.clear()
            try:
                await self._push()
            except Exception:
                logger.exception("state push failed")

    async def _push(self) -> None:
        state = self._build()
        self._last_push = self._clock()
        self._last_pushed = _comparable(state)
        stalled = self._backlogged()
        self._stalled.update(stalled)
        await self._sio.emit("state", state, room=PANEL_ROOM, skip_sid=stalled or None)
        self.pushes += 1

    async def _refresh_loop(self) -> None:
        """Catch what no listener reports (simulator state) and, every `progress_interval`,
        the progress of running cues, which panels count on locally in between."""
        while True:
            await asyncio.sleep(self._refresh_interval)
            try:
                await self._refresh()
            except Exception:
                logger.exception("state refresh failed")

    async def _refresh(self) -> None:
        state = self._build()
        stale = self._clock() - self._last_push >= self._progress_interval
        if (
            self._last_pushed is None
            or _comparable(state) != self._last_pushed
            or (stale and state.get("running"))
        ):
            self._dirty.set()
        if self._stalled:
            backlogged = set(self._backlogged())
            for sid in list(self._stalled - backlogged):
                self._stalled.discard(sid)
                if self._sio.manager.is_connected(sid, "/"):
                    await self.send_state(sid)

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self._tick_interval)
            try:
                await self._sio.emit("tick", {"server_time": self._clock()}, room=PANEL_ROOM)
            except Exception:
                logger.exception("tick failed")

    async def _outbox_loop(self) -> None:
        while True:
            event, data, sid = await self._outbox.get()
            try:
                if await self._connected(sid):
                    await self._sio.emit(event, self._build() if data is None else data, to=sid)
            except Exception:
                logger.exception("sending %s to %s failed", event, sid)

    async def _connected(self, sid: str) -> bool:
        """Wait for a client still in its connect handshake; False once it has gone."""
        manager = self._sio.manager
        deadline = self._clock() + 1.0
        while not manager.is_connected(sid, "/"):
            if manager.eio_sid_from_sid(sid, "/") is None or self._clock() > deadline:
                return False
            await asyncio.sleep(0.001)
        return True

    def forget(self, sid: str) -> None:
        """Drop a departed client."""
        self._stalled.discard(sid)

    def _backlogged(self) -> list[str]:
        # python-socketio has no public queue-depth API; read engine.io's per-socket queue.
        sockets = getattr(getattr(self._sio, "eio", None), "sockets", {})
        stalled = []
        for sid, eio_sid in self._sio.manager.get_participants("/", PANEL_ROOM):
            queue = getattr(sockets.get(eio_sid), "queue", None)
            if queue is not None and queue.qsize() > BACKLOG_LIMIT:
                stalled.append(sid)
        return stalled
