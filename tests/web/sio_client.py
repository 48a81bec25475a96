"""Test helper: a python-socketio client that records every server event and waits on them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import socketio

Predicate = Callable[[Any], bool]


class PanelClient:
    """One panel connection; `wait_for` returns the first matching event after a mark."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._refused)
        self.refusal: Any = None

    async def _refused(self, data: Any = None) -> None:
        self.refusal = data

    async def _record(self, event: str, data: Any = None) -> None:
        self.received.append((event, data))
        self._arrived.set()

    async def connect(
        self,
        base_url: str,
        token: str | None,
        *,
        headers: dict[str, str] | None = None,
        transports: list[str] | None = None,
    ) -> None:
        """Connect with `auth={"token": token}` (websocket only unless told otherwise)."""
        await self.sio.connect(
            base_url,
            auth=None if token is None else {"token": token},
            headers=headers or {},
            transports=transports or ["websocket"],
            wait_timeout=5,
        )

    def mark(self) -> int:
        """Position to wait from: only events received after it count."""
        return len(self.received)

    def events(self, name: str, since: int = 0) -> list[Any]:
        """Payloads of every `name` event received since `since`."""
        return [data for event, data in self.received[since:] if event == name]

    async def wait_for(
        self,
        name: str,
        predicate: Predicate = lambda data: True,
        since: int = 0,
        within: float = 5,
    ) -> Any:
        """The first `name` event since `since` whose payload satisfies `predicate`."""
        async with asyncio.timeout(within):
            while True:
                for event, data in self.received[since:]:
                    if event == name and predicate(data):
                        return data
                self._arrived.clear()
                await self._arrived.wait()

    async def emit(self, event: str, data: Any = None) -> None:
        """Send one event."""
        await self.sio.emit(event, data)

    async def close(self) -> None:
        """Disconnect (idempotent)."""
        await self.sio.disconnect()
        await self.sio.shutdown()


def cue_state(state: dict[str, Any], number: str) -> str:
    """A cue's state in a state object."""
    for cue_list in state["lists"]:
        for cue in cue_list["cues"]:
            if cue["number"] == number:
                return str(cue["state"])
    raise KeyError(number)
