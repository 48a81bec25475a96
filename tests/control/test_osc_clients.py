"""Independent OSC implementations drive the server: python-osc, and liblo's oscsend/oscdump."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator

import pytest
from osc_harness import make_show, serve, wait_for
from pythonosc.osc_message import OscMessage as PyOscMessage
from pythonosc.udp_client import SimpleUDPClient

from cuebridge.core.commands import Go

OSCSEND = shutil.which("oscsend")
OSCDUMP = shutil.which("oscdump")
needs_liblo = pytest.mark.skipif(
    OSCSEND is None or OSCDUMP is None, reason="liblo-tools (oscsend, oscdump) not installed"
)


async def test_python_osc_client_pings_and_fires() -> None:
    async with serve(make_show()) as run:
        client = SimpleUDPClient("127.0.0.1", run.port)
        try:
            client.send_message("/cuebridge/ping", [42])
            data = await asyncio.to_thread(client.receive, 5.0)
            pong = PyOscMessage(data)
            assert (pong.address, pong.params) == ("/cuebridge/pong", [42])
            client.send_message("/alwaysReply", True)
            await asyncio.to_thread(client.receive, 5.0)
            client.send_message("/go", 1.0)  # press
            reply = PyOscMessage(await asyncio.to_thread(client.receive, 5.0))
            assert reply.address == "/reply/go"
            assert '"status":"ok"' in reply.params[0]
            client.send_message("/go", 0.0)  # release: ignored
            await asyncio.to_thread(client.receive, 5.0)
            await wait_for(lambda: len(run.commands) == 1)
            assert isinstance(run.commands[0], Go)
        finally:
            client.close()


def free_udp_port() -> int:
    """A port nothing listens on right now (bound to 0 and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dump:
    """A running `oscdump` whose output lines are read as they come."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port

    async def line_with(self, text: str, within: float = 5.0) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            while True:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    raise EOFError("oscdump exited")
                if text in line:
                    return line


@contextlib.asynccontextmanager
async def oscdump() -> AsyncIterator[Dump]:
    assert OSCDUMP is not None
    port = free_udp_port()
    process = await asyncio.create_subprocess_exec(
        OSCDUMP, "-L", str(port), stdout=asyncio.subprocess.PIPE
    )
    dump = Dump(process, port)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _ in range(50):  # oscdump prints nothing when it is ready: probe until it echoes
                probe.sendto(b"/probe\x00\x00,\x00\x00\x00", ("127.0.0.1", port))
                with contextlib.suppress(TimeoutError):
                    await dump.line_with("/probe", within=0.1)
                    break
            else:
                pytest.fail("oscdump did not start")
        yield dump
    finally:
        process.terminate()
        await process.wait()


async def oscsend(port: int, address: str, types: str = "", *values: object) -> None:
    assert OSCSEND is not None
    process = await asyncio.create_subprocess_exec(
        OSCSEND, "127.0.0.1", str(port), address, types, *map(str, values)
    )
    assert await process.wait() == 0


@needs_liblo
async def test_liblo_oscsend_fires_and_oscdump_receives_feedback() -> None:
    async with serve(make_show()) as run, oscdump() as dump:
        # oscsend sends from a fresh port each time: the subscription names oscdump's port
        await oscsend(run.port, "/cuebridge/subscribe", "iii", 1, 10, dump.port)
        assert '"1"' in await dump.line_with("/cuebridge/out/standby/number")
        await oscsend(run.port, "/go", "f", 0.0)  # a release: ignored
        await oscsend(run.port, "/cuebridge/go", "T")
        assert '"2"' in await dump.line_with("/cuebridge/out/standby/number")
        await oscsend(run.port, "/cue/2/start")
        assert '"2"' in await dump.line_with("/cuebridge/out/running/number")
        assert [type(c).__name__ for c in run.commands] == ["Go", "StartCue"]
        assert run.server.dispatcher.stats.ignored == {"release": 1}


@needs_liblo
async def test_liblo_client_gets_replies_on_its_udp_reply_port() -> None:
    async with serve(make_show()) as run, oscdump() as dump:
        await oscsend(run.port, "/udpReplyPort", "i", dump.port)
        assert '"status":"ok"' in await dump.line_with("/reply/udpReplyPort")
