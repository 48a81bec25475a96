"""Composition root: the only place that picks concrete drivers and services and wires them."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from cuebridge.config.profile_model import Profile
from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.control.console import Console, open_stdin_reader
from cuebridge.core.engine import CONTROL_DEVICE
from cuebridge.core.model import Device, ParamValue, Show
from cuebridge.drivers.base import OutputDriver
from cuebridge.drivers.logging_output import LoggingOutput
from cuebridge.drivers.osc_output import OscOutput
from cuebridge.drivers.osc_transport import OscTransport, TcpOscTransport, UdpOscTransport
from cuebridge.drivers.sacn_output import sacn_output_for
from cuebridge.protocols.osc import OscMessage
from cuebridge.render.osc import render_osc
from cuebridge.runtime.clock import Clock, MonotonicClock
from cuebridge.runtime.daemon import Daemon, Service

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SHOW = REPO_ROOT / "show_files" / "keynote.yaml"


def load_catalog(extra_dirs: Sequence[Path] = ()) -> ProfileCatalog:
    """Load the bundled profiles plus any extra profile directories."""
    return ProfileCatalog.load([*default_profile_dirs(), *extra_dirs])


def build_outputs(
    show: Show, catalog: ProfileCatalog, clock: Clock, state_dir: Path | None
) -> dict[str, OutputDriver]:
    """One output per device: OSC and sACN devices get real drivers, the rest are logged."""
    outputs: dict[str, OutputDriver] = {}
    for name, device in show.devices.items():
        profile = catalog.get(device.profile)
        if name == CONTROL_DEVICE or profile is None:
            continue
        try:
            if profile.protocol == "osc":
                outputs[name] = _osc_output(device, profile, clock)
            elif profile.protocol == "sacn":
                outputs[name] = sacn_output_for(device, clock, state_dir)
        except (ValueError, KeyError) as err:
            logger.error("device %s: cannot build its output (%s); it will be logged", name, err)
        outputs.setdefault(name, LoggingOutput(name, device.profile))
    return outputs


def _osc_output(device: Device, profile: Profile, clock: Clock) -> OscOutput:
    host = str(device.connection.get("host", "127.0.0.1"))
    port = int(device.connection["port"])
    transport_name = str(device.connection.get("transport", "udp"))
    transport: OscTransport
    if transport_name == "udp":
        transport = UdpOscTransport(host, port)
    else:
        transport = TcpOscTransport(
            host, port, "slip" if transport_name == "tcp-slip" else "length"
        )

    def render(action: str, params: Mapping[str, ParamValue]) -> list[OscMessage]:
        return render_osc(profile.actions[action], params)

    return OscOutput(device.name, transport, render, clock)


async def console_service(daemon: Daemon) -> None:
    """Serve the terminal console on stdin while it stays open."""
    reader = await open_stdin_reader()
    if reader is None:
        return
    console = Console(daemon.loop.submit, daemon.loop.snapshot, daemon.request_stop)
    await console.run(reader)


def build_daemon(
    show: Show, catalog: ProfileCatalog, *, console: bool, state_dir: Path | None = None
) -> Daemon:
    """Wire a daemon for `show`."""
    clock = MonotonicClock()
    services: tuple[Service, ...] = (console_service,) if console else ()
    return Daemon(show, build_outputs(show, catalog, clock, state_dir), clock, services)


async def serve(daemon: Daemon) -> None:
    """Run the daemon; the first SIGINT/SIGTERM stops it cleanly, a second one forces exit."""
    loop = asyncio.get_running_loop()
    signals_seen = 0

    def on_signal(signum: int) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen == 1:
            logger.info("%s: stopping (send again to force)", signal.Signals(signum).name)
            daemon.request_stop()
        else:
            logger.error("second signal: forced exit")
            os._exit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await daemon.run()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def run(
    show: Show, catalog: ProfileCatalog, *, console: bool = True, state_dir: Path | None = None
) -> None:
    """Run the daemon for `show` until stopped."""
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(build_daemon(show, catalog, console=console, state_dir=state_dir)))
