"""Device health against the simulators: injected faults show as unreachable, then recover."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Mapping

import pytest

from cuebridge.config.profile_model import Profile
from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_output import OscOutput, health_plan, osc_output_for
from cuebridge.drivers.osc_transport import Framing, OscTransport, TcpOscTransport, UdpOscTransport
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.sim.eos import EosSim
from cuebridge.sim.qlab import QLabSim
from cuebridge.sim.x32 import X32Sim

LOOPBACK = "127.0.0.1"


class Reports:
    """A StatusReporter that lets a test wait for the next report of a status."""

    def __init__(self) -> None:
        self.seen: list[tuple[DeviceStatus, str]] = []
        self._changed = asyncio.Event()

    def __call__(self, status: DeviceStatus, detail: str) -> None:
        self.seen.append((status, detail))
        self._changed.set()

    async def next(self, status: DeviceStatus) -> str:
        """The detail of the first report of `status` from now on."""
        start = len(self.seen)
        while True:
            for seen, detail in self.seen[start:]:
                if seen is status:
                    return detail
            self._changed.clear()
            await self._changed.wait()


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load(default_profile_dirs())


def profile(catalog: ProfileCatalog, name: str) -> Profile:
    found = catalog.get(name)
    assert found is not None
    return found


def fast_output(
    name: str, profile: Profile, transport: OscTransport, connection: Mapping[str, ParamValue]
) -> tuple[OscOutput, Reports]:
    """The profile's own plan, with its probe sped up to 0.3 s windows for the test."""
    plan = health_plan(profile, connection)
    assert plan.probe is not None
    probe = dataclasses.replace(plan.probe, interval=0.3, timeout=0.1, misses=2)
    reports = Reports()
    output = OscOutput(
        name,
        transport,
        lambda *_: [],
        MonotonicClock(),
        health=dataclasses.replace(plan, probe=probe),
        report=reports,
    )
    return output, reports


@pytest.fixture
async def x32() -> AsyncIterator[X32Sim]:
    sim = X32Sim("foh")
    await sim.start()
    yield sim
    await sim.aclose()


async def test_x32_faults_are_noticed_and_recovered(x32: X32Sim, catalog: ProfileCatalog) -> None:
    output, reports = fast_output(
        "foh",
        profile(catalog, "behringer-x32"),
        UdpOscTransport(LOOPBACK, x32.port),
        {"transport": "udp"},
    )
    try:
        async with asyncio.timeout(10):
            await output.start()
            assert await reports.next(DeviceStatus.OK) == "answers /xinfo"
            assert x32.stats()  # the sim heard us

            for fault, value, healthy in (
                ("offline", True, False),
                ("ignore_probes", True, False),
                ("delay", 0.2, 0.0),  # later than the 0.1 s timeout
            ):
                setattr(x32.faults, fault, value)
                detail = await reports.next(DeviceStatus.UNREACHABLE)
                assert detail.startswith("no /xinfo reply for "), (fault, detail)
                setattr(x32.faults, fault, healthy)
                assert await reports.next(DeviceStatus.OK) == "answers /xinfo", fault
    finally:
        await output.aclose()


async def test_x32_keepalive_renews_xremote(x32: X32Sim, catalog: ProfileCatalog) -> None:
    heard = asyncio.Event()
    x32.add_listener(lambda event: heard.set() if "/xremote" in str(event) else None)
    device = Device(
        name="foh",
        profile="behringer-x32",
        connection={"host": LOOPBACK, "port": x32.port, "transport": "udp"},
    )
    output = osc_output_for(device, profile(catalog, "behringer-x32"), MonotonicClock())
    try:
        async with asyncio.timeout(5):
            await output.start()
            await heard.wait()  # the first renewal goes out at once
    finally:
        await output.aclose()


async def test_qlab_over_tcp_with_passcode_and_an_offline_spell(catalog: ProfileCatalog) -> None:
    sim = QLabSim("qlab", passcode="4321")
    await sim.start()
    qlab = profile(catalog, "qlab5")
    connection: dict[str, ParamValue] = {
        "host": LOOPBACK,
        "port": sim.port,
        "transport": "tcp-slip",
        "passcode": "4321",
    }
    transport = TcpOscTransport(LOOPBACK, sim.port, backoff_initial=0.05, backoff_max=0.2)
    output, reports = fast_output("qlab", qlab, transport, connection)
    try:
        async with asyncio.timeout(10):
            await output.start()
            assert await reports.next(DeviceStatus.OK) == "answers /thump"
            assert sim.state()["connected_clients"] == 1  # /connect 4321 went first

            sim.faults.offline = True
            await reports.next(DeviceStatus.UNREACHABLE)
            sim.faults.offline = False
            assert await reports.next(DeviceStatus.OK) == "answers /thump"
            assert sim.state()["connected_clients"] == 1
    finally:
        await output.aclose()
        await sim.aclose()


@pytest.mark.parametrize("transport", ["tcp-slip", "tcp-len"])
async def test_eos_ping_over_tcp(catalog: ProfileCatalog, transport: str) -> None:
    sim = EosSim("lx-desk")
    await sim.start()
    framing: Framing = "slip" if transport == "tcp-slip" else "length"
    link = TcpOscTransport(LOOPBACK, sim.port, framing, backoff_initial=0.05, backoff_max=0.2)
    output, reports = fast_output(
        "lx-desk", profile(catalog, "etc-eos"), link, {"transport": transport}
    )
    try:
        async with asyncio.timeout(10):
            await output.start()
            assert await reports.next(DeviceStatus.OK) == "answers /eos/ping"
            sim.faults.ignore_probes = True
            assert (await reports.next(DeviceStatus.UNREACHABLE)).startswith(
                "no /eos/out/ping reply for "
            )
    finally:
        await output.aclose()
        await sim.aclose()
