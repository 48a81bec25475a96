"""Composition root: the only place that picks concrete drivers and services and wires them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import logging
import os
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.control.console import Console, open_stdin_reader
from cuebridge.control.midi_service import MidiControlOptions, midi_control
from cuebridge.control.osc_server import OscControlServer
from cuebridge.control.osc_service import DEFAULT_PORT as OSC_PORT
from cuebridge.control.osc_service import OscControlOptions, osc_control
from cuebridge.control.timecode_output import TimecodeOutputOptions, timecode_output
from cuebridge.core.engine import CONTROL_DEVICE
from cuebridge.core.model import Show
from cuebridge.drivers.base import DeviceStatus, OutputDriver, StatusReporter
from cuebridge.drivers.logging_output import LoggingOutput
from cuebridge.drivers.midi_output import midi_output_for
from cuebridge.drivers.osc_output import osc_output_for
from cuebridge.drivers.sacn_output import sacn_output_for
from cuebridge.errors import DeviceError
from cuebridge.runtime.clock import Clock, MonotonicClock
from cuebridge.runtime.daemon import Daemon, Service
from cuebridge.runtime.persist import PersistenceService
from cuebridge.runtime.reload import reload_service
from cuebridge.runtime.roles import Role
from cuebridge.runtime.showlog import showlog_service
from cuebridge.runtime.status import StatusBoard
from cuebridge.sim.base import SimulatedDevice
from cuebridge.sim.faults import apply_faults
from cuebridge.sim.registry import simulated_connection
from cuebridge.sim.rehearsal import close_simulators, start_simulators
from cuebridge.web.service import ReadyCallback, WebOptions, web_service
from cuebridge.web.token_store import load_or_create_tokens

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SHOW = REPO_ROOT / "show_files" / "keynote.yaml"
DEFAULT_STATE_DIR = Path("state")
WEB_PORT = 8080
LOCK_FILE = "cuebridge.lock"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""SIGHUP too: a closed terminal must still stop fades and send sACN termination."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """How to run a show: the command line's choices."""

    show_path: Path | None = None
    """The show file, watched for edits (hot reload); None for a show built in memory."""
    simulate: bool = False
    """Rehearsal mode: a simulator stands in for every device; nothing reaches real gear."""
    console: bool = True
    host: str = "127.0.0.1"
    """Bind address of the web panel and OSC control."""
    web_port: int | None = WEB_PORT
    """None turns the web panel off; 0 picks a free port."""
    osc_port: int | None = OSC_PORT
    """None turns OSC control off; 0 picks a free port."""
    state_dir: Path | None = None
    """Show log, playback state and the sACN CID; None keeps nothing (no recovery)."""
    tokens: Mapping[Role, str] | None = None
    """Panel tokens by role; missing ones are generated and printed as share links."""
    faults: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Rehearsal: faults to start simulators with, by device (`--fault foh:offline`)."""
    recover_levels: bool = True
    """After a crash, put the lighting back as it was (no cue fires)."""
    allowed_origins: tuple[str, ...] = ()
    """Other origins browsers reach the panel by (a host name instead of the IP address)."""
    web_on_ready: ReadyCallback | None = None
    """Called with the panel's base URL and tokens once it listens (tests, launchers)."""
    osc_on_ready: Callable[[OscControlServer], None] | None = None
    """Called with the OSC control server once it is bound (tests read its port)."""


def load_catalog(extra_dirs: Sequence[Path] = ()) -> ProfileCatalog:
    """Load the bundled profiles plus any extra profile directories."""
    return ProfileCatalog.load([*default_profile_dirs(), *extra_dirs])


def build_outputs(
    show: Show,
    catalog: ProfileCatalog,
    clock: Clock,
    state_dir: Path | None,
    board: StatusBoard | None = None,
) -> dict[str, OutputDriver]:
    """One output per device by its profile's protocol; devices without a driver are logged."""
    outputs: dict[str, OutputDriver] = {}
    for name, device in show.devices.items():
        profile = catalog.get(device.profile)
        if name == CONTROL_DEVICE or profile is None:
            continue
        report = _reporter(board, name)
        try:
            if profile.protocol == "osc":
                outputs[name] = osc_output_for(device, profile, clock, report)
            elif profile.protocol == "midi":
                outputs[name] = midi_output_for(device, profile, clock, report)
            elif profile.protocol == "sacn":
                outputs[name] = sacn_output_for(device, clock, state_dir, report)
        except (ValueError, KeyError) as err:
            logger.error("device %s: cannot build its output (%s); it will be logged", name, err)
        if name not in outputs:
            outputs[name] = LoggingOutput(name, device.profile)
            report(DeviceStatus.LOGGING, "no driver: actions are logged")
    return outputs


def _reporter(board: StatusBoard | None, device: str) -> StatusReporter:
    def report(status: DeviceStatus, detail: str) -> None:
        if board is not None:
            board.report(device, status, detail)

    return report


async def console_service(daemon: Daemon) -> None:
    """Serve the terminal console on stdin while it stays open."""
    reader = await open_stdin_reader()
    if reader is None:
        return
    console = Console(daemon.loop.submit, daemon.loop.snapshot, daemon.request_stop)
    await console.run(reader)


async def assemble(
    show: Show, catalog: ProfileCatalog, options: RunOptions, clock: Clock | None = None
) -> Daemon:
    """Build a ready-to-run daemon: simulators, outputs, inputs, log, persistence, reload.

    Recovery after a crash happens here, before the first command can arrive.
    """
    clock = clock or MonotonicClock()
    simulators: dict[str, SimulatedDevice] = {}
    if options.simulate:
        rehearsal = await start_simulators(show, catalog)
        show, simulators = rehearsal.show, rehearsal.simulators
    try:
        for name, specs in options.faults.items():
            if name not in simulators:
                raise ValueError(f"--fault {name}: no simulated device of that name")
            apply_faults(simulators[name].faults, specs)
        board = StatusBoard(clock)
        outputs = build_outputs(show, catalog, clock, options.state_dir, board)
        if options.simulate:
            # In rehearsal nothing may reach real gear: a device without a simulator is logged.
            for name in set(show.devices) - set(simulators) - {CONTROL_DEVICE}:
                if name in outputs and not isinstance(outputs[name], LoggingOutput):
                    outputs[name] = LoggingOutput(name, show.devices[name].profile)
        services: list[Service] = []
        prepares = []
        if options.state_dir is not None:
            showlog = showlog_service(options.state_dir)
            persistence = PersistenceService(
                options.state_dir, recover_levels=options.recover_levels
            )
            services += [showlog, persistence]
            prepares += [showlog.prepare, persistence.prepare]
        if options.show_path is not None:
            adapt = partial(repoint_at_simulators, simulators=simulators) if simulators else None
            reloader = reload_service(options.show_path, catalog, adapt=adapt)
            services.append(reloader)
            prepares.append(reloader.prepare)
        if options.web_port is not None:
            tokens = dict(options.tokens or {})
            if options.state_dir is not None:
                tokens = load_or_create_tokens(options.state_dir, tokens)
            web = WebOptions(
                host=options.host,
                port=options.web_port,
                tokens=tokens or None,
                secret_roles=frozenset(options.tokens or ()),
                catalog=catalog,
                extra_origins=options.allowed_origins,
                on_ready=options.web_on_ready,
            )
            services.append(web_service(web))
        if options.osc_port is not None:
            osc = OscControlOptions(
                host=options.host, port=options.osc_port, on_ready=options.osc_on_ready
            )
            services.append(osc_control(osc))
        services.append(midi_control(MidiControlOptions()))
        if options.simulate:
            if show.control.timecode is not None and show.control.timecode.output is not None:
                logger.warning("rehearsal: MTC output is off (it would reach real gear)")
        else:
            services.append(timecode_output(TimecodeOutputOptions()))
        if options.console:
            services.append(console_service)
        daemon = Daemon(
            show, outputs, clock, tuple(services), status_board=board, simulators=simulators
        )
        for prepare in prepares:
            prepare(daemon)
    except BaseException:
        await close_simulators(simulators)
        raise
    return daemon


def repoint_at_simulators(show: Show, simulators: Mapping[str, SimulatedDevice]) -> Show:
    """`show` with its simulated devices addressed at their simulators (a reload in rehearsal)."""
    devices = dict(show.devices)
    for name, sim in simulators.items():
        if name in devices:
            device = devices[name]
            connection = {**device.connection, **simulated_connection(device, sim)}
            devices[name] = dataclasses.replace(device, connection=connection)
    return dataclasses.replace(show, devices=devices)


async def serve(daemon: Daemon) -> None:
    """Run the daemon; the first SIGINT/SIGTERM/SIGHUP stops it cleanly, a second forces exit."""
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

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await daemon.run()
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


def run(show: Show, catalog: ProfileCatalog, options: RunOptions) -> None:
    """Run the daemon for `show` until stopped (DeviceError when the state dir is in use)."""
    with contextlib.ExitStack() as stack:
        if options.state_dir is not None:
            options.state_dir.mkdir(parents=True, exist_ok=True)
            stack.enter_context(state_dir_lock(options.state_dir))

        async def main() -> None:
            await serve(await assemble(show, catalog, options))

        asyncio.run(main())


@contextlib.contextmanager
def state_dir_lock(state_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the state directory: one daemon per show log and recovery file.

    A second daemon (a demo started beside the show) would otherwise overwrite the playback
    state and clear the crash marker the live show relies on.
    """
    fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeviceError(
                f"{state_dir} is in use by another cuebridge; give this one its own --state-dir"
            ) from None
        yield
    finally:
        os.close(fd)
