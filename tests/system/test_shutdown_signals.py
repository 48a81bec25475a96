"""Graceful shutdown of a real daemon process: SIGTERM ends sACN streams, flushes the log, exits 0.

A second signal during a shutdown that hangs forces the exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_crash_recovery import (
    Receiver,
    daemon_process,
    log_rows,
    sacn_receiver,
    write_show,
)

from cuebridge.protocols.sacn import SacnDataPacket
from cuebridge.runtime.persist import MARKER_FILE, PlaybackState, StateStore


async def terminated_packets(receiver: Receiver, count: int = 3) -> list[SacnDataPacket]:
    """Wait for the stream-terminated packets; data packets before them are skipped."""
    found: list[SacnDataPacket] = []
    while len(found) < count:
        packet = await receiver.next()
        if packet.terminated:
            found.append(packet)
    return found


async def test_sigterm_terminates_sacn_flushes_the_log_and_exits_0(tmp_path: Path) -> None:
    state = tmp_path / "state"
    async with sacn_receiver() as (receiver, port):
        show = write_show(tmp_path, port)
        async with daemon_process(show, state) as daemon:
            await daemon.line_with("console ready")
            await daemon.send("go\ngo\n")
            await daemon.status_with("standby 3")
            first = await receiver.next()
            assert not first.terminated
            daemon.process.send_signal(signal.SIGTERM)
            terminated = await terminated_packets(receiver)
            assert await daemon.exit_code() == 0
        assert [(p.universe, p.terminated) for p in terminated] == [(1, True)] * 3
        assert receiver.drain() == []  # nothing after the termination
    names = [row["name"] for row in log_rows(state, "kind IN ('command', 'session')")]
    assert names == ["start", "Go", "Go", "stop"]  # every command, and the stop: flushed
    assert not (state / MARKER_FILE).exists()
    assert "stopped" in daemon.log.read_text()


async def test_a_second_signal_forces_exit_when_shutdown_hangs(tmp_path: Path) -> None:
    state = tmp_path / "state"
    async with sacn_receiver() as (_, port):
        show = write_show(tmp_path, port)
        async with daemon_process(show, state, "stubborn") as daemon:
            await daemon.line_with("console ready")
            daemon.process.send_signal(signal.SIGTERM)
            with pytest.raises(TimeoutError):  # the stubborn service holds the shutdown
                await daemon.exit_code(within=0.5)
            daemon.process.send_signal(signal.SIGTERM)
            assert await daemon.exit_code() == 128 + signal.SIGTERM
    assert "second signal: forced exit" in daemon.log.read_text()


@contextlib.asynccontextmanager
async def cli(show: Path, state: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    log = state.parent / "cli.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cuebridge", "run", str(show), "--no-console", "--no-web",
            "--no-osc", "--state-dir", str(state), stdin=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_the_cli_recovers_levels_and_terminates_them_on_sigterm(tmp_path: Path) -> None:
    """`cuebridge run --no-console`: levels left by a crash come back, SIGTERM ends them."""
    state = tmp_path / "state"
    async with sacn_receiver() as (receiver, port):
        show = write_show(tmp_path, port)
        levels = bytes([0, 200, 0, 100])
        store = StateStore(state)
        store.save(
            PlaybackState(
                show=str(show), saved_at=0.0, standby={"main": "3"}, levels={"lx": {1: levels}}
            )
        )
        store.mark_running()  # as a killed daemon leaves it
        async with cli(show, state) as process:
            first = await receiver.next()
            assert bytes(first.slots[:4]) == levels
            process.send_signal(signal.SIGTERM)
            terminated = [p for p in [first, *await terminated_packets(receiver)] if p.terminated]
            async with asyncio.timeout(15):
                assert await process.wait() == 0
        assert len(terminated) == 3
    with contextlib.closing(sqlite3.connect(state / "showlog.sqlite3")) as db:
        sessions = [row[0] for row in db.execute("SELECT name FROM log WHERE kind = 'session'")]
    assert sessions == ["start", "stop"]
