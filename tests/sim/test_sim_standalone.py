"""`cuebridge sim PROFILE`: the standalone runner prints what arrives and takes fault commands."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest
from osc_client import WAIT, udp_client, until

from cuebridge import app
from cuebridge.config.profile_model import Profile
from cuebridge.sim import standalone
from cuebridge.sim.base import Faults, JsonDict, SimulatedDevice
from cuebridge.sim.osc_sim import OscSim
from cuebridge.sim.qlab import QLabSim
from cuebridge.sim.standalone import run_standalone

CATALOG = app.load_catalog()
NOON = datetime(2024, 5, 1, 12, 0, 1, 234000)


def profile(profile_id: str) -> Profile:
    found = CATALOG.get(profile_id)
    assert found is not None
    return found


class Sink(io.StringIO):
    """Printed text, with a way to wait for the next line."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)

    async def until(self, condition: Callable[[list[str]], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not condition(self.getvalue().splitlines()):
                self.written.clear()
                await self.written.wait()


class Running:
    """A run_standalone task, the simulator it started and what it printed."""

    def __init__(self) -> None:
        self.out = Sink()
        self.ready: asyncio.Future[SimulatedDevice] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None

    async def sim(self) -> SimulatedDevice:
        async with asyncio.timeout(WAIT):
            return await self.ready

    def lines(self) -> list[str]:
        return self.out.getvalue().splitlines()


@pytest.fixture
async def run() -> AsyncIterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(profile_id: str, **kwargs: Any) -> Running:
        running = Running()
        running.task = asyncio.create_task(
            run_standalone(
                profile(profile_id),
                0,
                running.out,
                on_ready=running.ready.set_result,
                now=lambda: NOON,
                **kwargs,
            )
        )
        started.append(running)
        return running

    yield start
    for running in started:
        assert running.task is not None
        running.task.cancel()
        await asyncio.wait([running.task])


async def test_prints_the_port_and_each_message_readably(run: Callable[..., Running]) -> None:
    running = run("behringer-x32")
    sim = await running.sim()
    assert isinstance(sim, OscSim)
    assert running.lines()[0] == (
        f"12:00:01.234 Behringer X32 / Midas M32 simulator (behringer-x32) on 127.0.0.1 port "
        f"{sim.port}"
    )
    async with udp_client(sim.port) as client:
        client.send("/ch/01/mix/fader", "f", 0.75)
        client.send_raw(b"/ab")
        await until(sim, lambda: sim.stats()["ignored_total"] == 1)
    assert "12:00:01.234 /ch/01/mix/fader 0.75 (fader ch 1 -> 0.0 dB)" in running.lines()
    assert running.lines()[-1].startswith("12:00:01.234 ignored 2f 61 62 from udp 127.0.0.1:")
    assert running.lines()[-1].endswith(
        "bad_size: packet size 3 is not a multiple of 4 (at byte 0)"
    )
    assert running.task is not None
    running.task.cancel()
    await asyncio.wait([running.task])
    assert running.lines()[-1] == "12:00:01.234 stopped: 1 received, 1 ignored {'bad_size': 1}"


async def test_fault_options_and_device_options_apply_before_start(
    run: Callable[..., Running],
) -> None:
    running = run("qlab5", faults=["ignore-probes", "delay=0.2"], options={"passcode": "9"})
    sim = await running.sim()
    assert isinstance(sim, QLabSim)
    assert sim.passcode == "9"
    assert sim.faults.as_dict() == {
        "offline": False,
        "drop_rate": 0.0,
        "delay": 0.2,
        "ignore_probes": True,
    }
    assert "faults delay=0.2, ignore_probes=True" in running.lines()[1]


async def test_a_bad_fault_option_fails_before_binding() -> None:
    with pytest.raises(ValueError, match="unknown fault 'slow'"):
        await run_standalone(profile("behringer-x32"), 0, io.StringIO(), faults=["slow"])


async def test_typed_commands_switch_faults_at_run_time(run: Callable[..., Running]) -> None:
    commands = asyncio.StreamReader()
    running = run("etc-eos", commands=commands)
    sim = await running.sim()
    for line in ("offline", "drop 0.5", "bogus", "state", "clear", "help"):
        commands.feed_data(f"{line}\n".encode())
    commands.feed_eof()
    await running.out.until(lambda lines: lines[-1].startswith("12:00:01.234 commands:"))
    lines = [line.removeprefix("12:00:01.234 ") for line in running.lines()[3:]]
    assert lines[0] == "faults offline=True"
    assert lines[1] == "faults offline=True, drop_rate=0.5"
    assert lines[2].startswith("unknown fault 'bogus'; expected offline, online")
    assert lines[3].startswith('{"active_cue": null, "chans": {}')
    assert lines[4] == "faults none"
    assert sim.faults.as_dict()["drop_rate"] == 0.0


class StateOnlySim:
    """A simulator without a message listener (like a non-OSC one)."""

    name = "lx"
    kind = "sacn"
    port = 5568
    faults = Faults()

    def __init__(self) -> None:
        self.levels: JsonDict = {"1": 0}

    async def start(self) -> None:
        pass

    async def aclose(self) -> None:
        pass

    def state(self) -> JsonDict:
        return {"kind": "sacn", "universes": {"1": dict(self.levels)}}

    def stats(self) -> JsonDict:
        return {"packets": 3}


async def test_simulators_without_a_listener_show_their_state_changes(
    run: Callable[..., Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = StateOnlySim()
    monkeypatch.setattr(standalone, "simulator_for", lambda *args, **kwargs: fake)
    running = run("generic-osc")
    await running.sim()
    fake.levels["1"] = 255
    fake.levels["2"] = 10
    await running.out.until(lambda lines: len(lines) >= 5)
    assert running.lines()[3:] == [
        "12:00:01.234 universes.1.1 = 255",
        "12:00:01.234 universes.1.2 = 10",
    ]
