"""State pushes: coalesced to one per interval, always the latest, stalled clients skipped."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from cuebridge.web.push import BACKLOG_LIMIT, PANEL_ROOM, StatePusher


class FakeManager:
    def __init__(self) -> None:
        self.participants: dict[str, str] = {}
        self.handshaking: set[str] = set()

    def get_participants(self, namespace: str, room: str) -> Iterator[tuple[str, str]]:
        assert (namespace, room) == ("/", PANEL_ROOM)
        yield from self.participants.items()

    def is_connected(self, sid: str, namespace: str) -> bool:
        return sid in self.participants

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        return f"eio-{sid}" if sid in self.handshaking else self.participants.get(sid)


class FakeServer:
    """Records emits like python-socketio's AsyncServer would send them."""

    def __init__(self) -> None:
        self.manager = FakeManager()
        self.eio = SimpleNamespace(sockets={})
        self.emitted: list[tuple[str, Any, str | None, list[str] | None]] = []
        self._sent = asyncio.Event()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (at most 5 s) until `condition` holds after some emit."""
        async with asyncio.timeout(5):
            while not condition():
                self._sent.clear()
                await self._sent.wait()

    def add(self, sid: str) -> asyncio.Queue[object]:
        queue: asyncio.Queue[object] = asyncio.Queue()
        self.manager.participants[sid] = f"eio-{sid}"
        self.eio.sockets[f"eio-{sid}"] = SimpleNamespace(queue=queue)
        return queue

    async def emit(
        self,
        event: str,
        data: Any,
        to: str | None = None,
        room: str | None = None,
        skip_sid: list[str] | None = None,
    ) -> None:
        self.emitted.append((event, data, to, skip_sid))
        self._sent.set()

    def states(self) -> list[tuple[Any, str | None, list[str] | None]]:
        return [(data, to, skip) for event, data, to, skip in self.emitted if event == "state"]


class Counter:
    def __init__(self) -> None:
        self.value = 0

    def build(self) -> dict[str, Any]:
        return {"version": self.value}


async def run_pusher(pusher: StatePusher) -> asyncio.Task[None]:
    task = asyncio.create_task(pusher.run())
    await asyncio.sleep(0)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_burst_of_changes_becomes_few_pushes_ending_with_the_latest() -> None:
    server, counter = FakeServer(), Counter()
    server.add("a")
    pusher = StatePusher(
        server, counter.build, time.monotonic, refresh_interval=60, tick_interval=60
    )
    task = await run_pusher(pusher)
    try:
        started = time.monotonic()
        for _ in range(50):
            counter.value += 1
            pusher.changed()
            await asyncio.sleep(0.002)
        elapsed = time.monotonic() - started
        await server.until(lambda: server.states()[-1:] == [({"version": 50}, None, None)])
    finally:
        await stop(task)
    pushes = len(server.states())
    assert pushes <= elapsed / 0.03 + 2
    assert pushes < 50


async def test_a_stalled_client_is_skipped_then_caught_up_when_it_drains() -> None:
    server, counter = FakeServer(), Counter()
    server.add("fast")
    stalled = server.add("slow")
    for _ in range(BACKLOG_LIMIT + 1):
        stalled.put_nowait(object())
    pusher = StatePusher(
        server, counter.build, time.monotonic, refresh_interval=0.02, tick_interval=60
    )
    task = await run_pusher(pusher)
    try:
        counter.value = 1
        pusher.changed()
        await server.until(lambda: server.states() != [])
        assert server.states()[0] == ({"version": 1}, None, ["slow"])
        counter.value = 2
        while not stalled.empty():
            stalled.get_nowait()
        await server.until(lambda: ({"version": 2}, "slow", None) in server.states())
    finally:
        await stop(task)


async def test_messages_from_listeners_wait_for_the_handshake_and_skip_departed_clients() -> None:
    server, counter = FakeServer(), Counter()
    pusher = StatePusher(
        server, counter.build, time.monotonic, refresh_interval=60, tick_interval=60
    )
    task = await run_pusher(pusher)
    try:
        server.manager.handshaking.add("new")
        pusher.send_later("error", {"code": "ignored"}, "gone")
        pusher.send_later("hello", {"role": "viewer"}, "new")
        pusher.send_later("state", None, "new")
        await asyncio.sleep(0.02)
        assert server.emitted == []  # "new" is still shaking hands
        server.manager.handshaking.discard("new")
        server.add("new")
        await server.until(lambda: len(server.emitted) >= 2)
    finally:
        await stop(task)
    assert server.emitted[:2] == [
        ("hello", {"role": "viewer"}, "new", None),
        ("state", {"version": 0}, "new", None),
    ]
