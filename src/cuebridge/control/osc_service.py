"""The OSC control service: wires the server, dispatcher and feedback to a running daemon."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cuebridge.control.osc_auth import AccessPolicy
from cuebridge.control.osc_dispatch import OscDispatcher
from cuebridge.control.osc_feedback import Feedback
from cuebridge.control.osc_server import OscControlServer
from cuebridge.core.model import Show
from cuebridge.runtime.daemon import Daemon, Service
from cuebridge.runtime.status import DeviceHealth

logger = logging.getLogger(__name__)

DEFAULT_PORT = 53000
"""QLab's port, so QLab clients work unchanged."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OscControlOptions:
    """Where the OSC control server listens (from the command line)."""

    host: str = "127.0.0.1"
    """Bind address; 0.0.0.0 exposes control to the network (roles then matter)."""
    port: int = DEFAULT_PORT
    """UDP and TCP port; 0 picks a free one (tests)."""
    positive_floats: bool = False
    """Treat any float above 0 as a press (faders), not only 1.0."""
    on_ready: Callable[[OscControlServer], None] | None = None
    """Called once the server is bound (tests read the ports from it)."""


def build_osc_control(daemon: Daemon, options: OscControlOptions) -> OscControlServer:
    """A server for `daemon` (not started); engine and device changes feed its feedback."""

    def current_show() -> Show:
        return daemon.loop.engine.show

    def devices() -> Mapping[str, DeviceHealth]:
        board = daemon.status_board
        return {name: board.get(name) for name in current_show().devices}

    feedback = Feedback(
        snapshot=daemon.loop.snapshot, show=current_show, devices=devices, clock=daemon.clock
    )
    daemon.loop.add_listener(feedback.notify)
    daemon.status_board.add_listener(feedback.notify)
    dispatcher = OscDispatcher(
        submit=daemon.loop.submit,
        snapshot=daemon.loop.snapshot,
        show=current_show,
        policy=AccessPolicy(current_show().control.osc),
        feedback=feedback,
        clock=daemon.clock,
        positive_floats=options.positive_floats,
    )
    return OscControlServer(dispatcher, options.host, options.port)


async def osc_control_service(daemon: Daemon, options: OscControlOptions) -> None:
    """Serve OSC control (UDP + TCP/SLIP) and push feedback until cancelled."""
    server = build_osc_control(daemon, options)
    try:
        await server.start()
    except OSError as err:
        # the show must run without remote control rather than not at all
        message = f"OSC control cannot listen on {options.host}:{options.port}: {err}"
        logger.error("%s", message)
        daemon.notices.post("error", message, topic="osc-control")
        return
    try:
        if options.on_ready is not None:
            options.on_ready(server)
        await server.dispatcher.feedback.run()
    finally:
        await server.aclose()


def osc_control(options: OscControlOptions) -> Service:
    """`osc_control_service` bound to `options`, in the daemon's service shape."""

    async def service(daemon: Daemon) -> None:
        await osc_control_service(daemon, options)

    service.__name__ = "osc_control"
    return service
