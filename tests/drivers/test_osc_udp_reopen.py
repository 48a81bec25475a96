"""A UDP device whose address can't be used at start (network not up yet) is retried, not lost."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from cuebridge.drivers import osc_transport
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_transport import UdpOscTransport


class Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.packets.put_nowait(data)


async def test_an_unusable_address_at_start_is_retried_until_it_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    listener, inbox = await loop.create_datagram_endpoint(Inbox, local_addr=("127.0.0.1", 0))
    port = listener.get_extra_info("sockname")[1]
    real_open = loop.create_datagram_endpoint
    failures = 2

    async def flaky_open(*args: Any, **kwargs: Any) -> Any:
        nonlocal failures
        if failures:
            failures -= 1
            raise socket.gaierror(-3, "Temporary failure in name resolution")
        return await real_open(*args, **kwargs)

    monkeypatch.setattr(loop, "create_datagram_endpoint", flaky_open)
    monkeypatch.setattr(osc_transport, "REOPEN_FIRST", 0.01)
    statuses: list[DeviceStatus] = []
    opened = asyncio.Event()
    transport = UdpOscTransport("127.0.0.1", port)

    def on_status(status: DeviceStatus, detail: str) -> None:
        statuses.append(status)
        if status is DeviceStatus.OK:
            opened.set()

    transport.on_status = on_status
    try:
        await transport.start()  # does not raise: the device is unreachable for now
        assert statuses[-1] is DeviceStatus.UNREACHABLE
        transport.send(b"early")
        assert transport.dropped == 1
        async with asyncio.timeout(5):
            await opened.wait()
        assert transport.connected
        assert statuses[-1] is DeviceStatus.OK
        transport.send(b"late")
        async with asyncio.timeout(5):
            assert await inbox.packets.get() == b"late"
        assert failures == 0
    finally:
        await transport.aclose()
        listener.close()


async def test_closing_while_retrying_stops_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    attempts = 0
    third = asyncio.Event()

    async def never_opens(*args: Any, **kwargs: Any) -> Any:
        nonlocal attempts
        attempts += 1
        if attempts == 3:
            third.set()
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(loop, "create_datagram_endpoint", never_opens)
    monkeypatch.setattr(osc_transport, "REOPEN_FIRST", 0.01)
    transport = UdpOscTransport("127.0.0.1", 9)
    await transport.start()
    async with asyncio.timeout(5):
        await third.wait()
    await transport.aclose()
    seen = attempts
    await asyncio.sleep(0.1)
    assert attempts == seen
