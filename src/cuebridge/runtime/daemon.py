"""The daemon: starts outputs and the engine loop, runs until told to stop, shuts down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from cuebridge.core.engine import CueEngine
from cuebridge.core.model import Show
from cuebridge.drivers.base import OutputDriver
from cuebridge.runtime.clock import Clock
from cuebridge.runtime.engine_loop import EngineLoop
from cuebridge.runtime.eventlog import EventLogger
from cuebridge.runtime.notices import Notices
from cuebridge.runtime.router import Router
from cuebridge.runtime.status import StatusBoard
from cuebridge.sim.base import SimulatedDevice

if TYPE_CHECKING:
    from cuebridge.runtime.reload import ReloadResult

logger = logging.getLogger(__name__)

Service = Callable[["Daemon"], Coroutine[Any, Any, None]]
"""A task that runs beside the engine (console, control inputs, web panel) until cancelled."""


class Daemon:
    """One show, its outputs and its inputs, with an owned lifecycle."""

    def __init__(
        self,
        show: Show,
        drivers: Mapping[str, OutputDriver],
        clock: Clock,
        services: tuple[Service, ...] = (),
        *,
        status_board: StatusBoard | None = None,
        simulators: Mapping[str, SimulatedDevice] | None = None,
    ) -> None:
        self.show = show
        self.drivers = dict(drivers)
        self.clock = clock
        self.status_board = status_board or StatusBoard(clock)
        self.notices = Notices(clock)
        """Messages for the operators (recovery, rejected reloads, log trouble)."""
        self.simulators: dict[str, SimulatedDevice] = dict(simulators or {})
        """Started simulators standing in for devices (rehearsal mode); closed on shutdown."""
        self.loop = EngineLoop(CueEngine(show), clock, Router(self.drivers))
        events = EventLogger(show)
        self.loop.add_listener(events)
        self.loop.add_show_listener(events.use_show)
        self.reload: Callable[[], Awaitable[ReloadResult]] | None = None
        """Hot reload of the show file, set by the reload service (admins call it)."""
        self._services = services
        self._stop = asyncio.Event()
        self.ready = asyncio.Event()

    @property
    def services(self) -> tuple[Service, ...]:
        """The services run beside the engine."""
        return self._services

    async def _guarded(self, service: Service) -> None:
        """Run one service; if it fails, say so and keep the show (and the other inputs) going."""
        try:
            await service(self)
        except Exception as err:
            name = service_name(service)
            logger.exception("%s stopped after an error", name)
            self.notices.post("error", f"{name} stopped: {err}; the show continues", topic=name)

    def request_stop(self) -> None:
        """Ask the daemon to shut down (idempotent)."""
        self._stop.set()

    async def run(self) -> None:
        """Start every output, serve until a stop is requested, then close in reverse order."""
        started: list[OutputDriver] = []
        try:
            for driver in self.drivers.values():
                started.append(driver)
                try:
                    await driver.start()
                except Exception as err:
                    # One unreachable or misconfigured device must not keep the show from running.
                    logger.error("device %s failed to start: %s", driver.name, err)
            async with asyncio.TaskGroup() as group:
                engine_task = group.create_task(self.loop.run(), name="engine")
                service_tasks = [
                    group.create_task(self._guarded(service), name=service_name(service))
                    for service in self._services
                ]
                logger.info(
                    "show %r running: %d cue list(s), %d device(s)",
                    self.show.title,
                    len(self.show.cue_lists),
                    len(self.drivers),
                )
                self.ready.set()
                await self._stop.wait()
                for task in [*service_tasks, engine_task]:
                    task.cancel()
        finally:
            for driver in reversed(started):
                with contextlib.suppress(Exception):
                    await driver.aclose()
            for sim in reversed(self.simulators.values()):
                with contextlib.suppress(Exception):
                    await sim.aclose()
            logger.info("stopped")


def service_name(service: Service) -> str:
    """A service's name for logs and notices."""
    return str(getattr(service, "__name__", type(service).__name__))
