"""`cuebridge sim PROFILE`: one simulator on its own, printing what it receives as it arrives.

Other tools (Companion, TouchOSC, a second cuebridge) can be rehearsed against it. Faults are
set with `--fault` values (faults.FAULT_SYNTAX) and, when a command stream is given (stdin),
switched while it runs: `offline`, `online`, `drop 0.2`, `delay 0.5`, `ignore-probes`,
`answer-probes`, `clear`, `state`, `stats`, `help`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TextIO

from cuebridge.config.profile_model import Profile
from cuebridge.core.model import Device, ParamValue
from cuebridge.sim.base import JsonDict, SimulatedDevice
from cuebridge.sim.faults import FAULT_SYNTAX, apply_faults
from cuebridge.sim.osc_endpoint import LOOPBACK, Heard
from cuebridge.sim.registry import simulator_for

POLL_INTERVAL: Final = 0.25
MAX_CHANGES_SHOWN: Final = 20
HELP: Final = f"commands: {FAULT_SYNTAX} (as 'drop 0.2' or 'drop=0.2'), state, stats, help"


async def run_standalone(
    profile: Profile,
    port: int,
    out: TextIO,
    *,
    faults: Sequence[str] = (),
    options: Mapping[str, ParamValue] | None = None,
    commands: asyncio.StreamReader | None = None,
    on_ready: Callable[[SimulatedDevice], None] | None = None,
    now: Callable[[], datetime] = datetime.now,
) -> None:
    """Run the profile's simulator on 127.0.0.1:`port` (0 = any free port) until cancelled.

    Raises ValueError for a bad `--fault` value (before binding) and DeviceError when the
    port is taken. `options` are device options (QLab's `passcode`).
    """
    connection: dict[str, ParamValue] = {**profile.connection.options, **(options or {})}
    device = Device(name=profile.id, profile=profile.id, connection=connection)
    sim = simulator_for(device, profile, port=port)
    apply_faults(sim.faults, faults)
    printer = _Printer(out, now)
    await sim.start()
    try:
        transports = ", ".join(getattr(sim, "transports", ("udp",)))
        printer.line(f"{profile.name} simulator ({profile.id}) on {LOOPBACK} port {sim.port}")
        printer.line(f"  accepts {transports}; faults {_active(sim.faults.as_dict())}")
        printer.line("  Ctrl-C stops it" + ("; type 'help' for commands" if commands else ""))
        add_listener = getattr(sim, "add_listener", None)
        watcher = None
        if callable(add_listener):
            add_listener(printer.heard)
        else:
            watcher = asyncio.create_task(_watch_state(sim, printer), name="sim state watch")
        if on_ready is not None:
            on_ready(sim)
        try:
            if commands is not None:
                await _serve_commands(sim, commands, printer)
            await asyncio.Event().wait()
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.wait([watcher])
    finally:
        await sim.aclose()
        stats = sim.stats()
        printer.line(
            f"stopped: {stats.get('messages', stats.get('packets', 0))} received, "
            f"{stats.get('ignored_total', 0)} ignored {stats.get('ignored', {})}"
        )


class _Printer:
    """Timestamped lines, flushed at once so a pipe shows them live."""

    def __init__(self, out: TextIO, now: Callable[[], datetime]) -> None:
        self._out = out
        self._now = now

    def line(self, text: str) -> None:
        self._out.write(f"{self._now().strftime('%H:%M:%S.%f')[:-3]} {text}\n")
        self._out.flush()

    def heard(self, heard: Heard) -> None:
        self.line(str(heard))


async def _serve_commands(
    sim: SimulatedDevice, commands: asyncio.StreamReader, printer: _Printer
) -> None:
    """Apply typed commands until the stream ends (then keep serving)."""
    while line := await commands.readline():
        text = line.decode("utf-8", "replace").strip()
        if not text:
            continue
        word, _, rest = text.partition(" ")
        if word == "help":
            printer.line(HELP)
        elif word == "state":
            printer.line(json.dumps(sim.state(), sort_keys=True))
        elif word == "stats":
            printer.line(json.dumps(sim.stats(), sort_keys=True))
        else:
            spec = f"{word}={rest.strip()}" if rest.strip() else word
            try:
                apply_faults(sim.faults, [spec])
            except ValueError as err:
                printer.line(str(err))
                continue
            printer.line(f"faults {_active(sim.faults.as_dict())}")


def _active(faults: JsonDict) -> str:
    on = [f"{name}={value}" for name, value in faults.items() if value not in (False, 0, 0.0)]
    return ", ".join(on) if on else "none"


async def _watch_state(sim: SimulatedDevice, printer: _Printer) -> None:
    """For simulators without a message listener: print what changes in their state."""
    before = _flatten(sim.state())
    while True:
        await asyncio.sleep(POLL_INTERVAL)
        after = _flatten(sim.state())
        changed = [key for key in after if before.get(key) != after[key]]
        changed += [key for key in before if key not in after]
        for key in changed[:MAX_CHANGES_SHOWN]:
            printer.line(f"{key} = {json.dumps(after.get(key))}")
        if len(changed) > MAX_CHANGES_SHOWN:
            printer.line(f"... and {len(changed) - MAX_CHANGES_SHOWN} more changes")
        before = after


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: data}
