"""Composition root: the only place that picks concrete drivers and services and wires them."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Sequence
from pathlib import Path

from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.config.showfile import load_show
from cuebridge.control.console import Console, open_stdin_reader
from cuebridge.core.engine import CONTROL_DEVICE
from cuebridge.core.model import Show
from cuebridge.drivers.base import OutputDriver
from cuebridge.drivers.logging_output import LoggingOutput
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon, Service

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SHOW = REPO_ROOT / "show_files" / "keynote.yaml"


def load_catalog(extra_dirs: Sequence[Path] = ()) -> ProfileCatalog:
    """Load the bundled profiles plus any extra profile directories."""
    return ProfileCatalog.load([*default_profile_dirs(), *extra_dirs])


def load(show_path: Path, extra_profile_dirs: Sequence[Path] = ()) -> Show:
    """Load and validate a show file; raises ShowError or ProfileError with every problem."""
    return load_show(show_path, load_catalog(extra_profile_dirs))


def build_outputs(show: Show) -> dict[str, OutputDriver]:
    """One output per device. Protocol drivers are not wired yet: every device is logged."""
    return {
        name: LoggingOutput(name, device.profile)
        for name, device in show.devices.items()
        if name != CONTROL_DEVICE
    }


async def console_service(daemon: Daemon) -> None:
    """Serve the terminal console on stdin while it stays open."""
    reader = await open_stdin_reader()
    if reader is None:
        return
    console = Console(daemon.loop.submit, daemon.loop.snapshot, daemon.request_stop)
    await console.run(reader)


def build_daemon(show: Show, *, console: bool) -> Daemon:
    """Wire a daemon for `show`."""
    services: tuple[Service, ...] = (console_service,) if console else ()
    return Daemon(show, build_outputs(show), MonotonicClock(), services)


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


def run(show: Show, *, console: bool = True) -> None:
    """Run the daemon for `show` until stopped."""
    asyncio.run(serve(build_daemon(show, console=console)))
