"""System MIDI ports through mido's rtmidi backend, loaded only when a device asks for one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any, Final

import mido

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import MessageCallback
from cuebridge.drivers.midi_link import LinkReceiver, LinkSender
from cuebridge.errors import DeviceError

RTMIDI_BACKEND: Final = "mido.backends.rtmidi"
MISSING_RTMIDI: Final = (
    "system MIDI ports need the python-rtmidi package, which is not installed "
    "(pip install 'cuebridge[midi]'), or use the udp transport"
)

BackendLoader = Callable[[], Any]
"""Returns a mido backend (get_output_names, open_output, get_input_names, open_input)."""


def load_rtmidi_backend() -> Any:
    """mido's rtmidi backend, imported now; DeviceError when python-rtmidi is missing."""
    try:
        return mido.Backend(RTMIDI_BACKEND, load=True, use_environ=False)
    except (ImportError, OSError) as err:  # OSError: rtmidi present but libasound missing
        raise DeviceError(f"{MISSING_RTMIDI} ({err})") from err


def _open_port(load: BackendLoader, name: str, *, output: bool, **options: Any) -> Any:
    """Open a named port (blocking: run in a thread); DeviceError saying what is missing."""
    backend = load()
    kind = "output" if output else "input"
    try:
        names = backend.get_output_names() if output else backend.get_input_names()
    except OSError as err:  # rtmidi.SystemError: no ALSA sequencer (containers, CI)
        raise DeviceError(
            f"this machine has no MIDI system ({err}); cannot open MIDI {kind} port {name!r}"
        ) from err
    if name not in names:
        available = ", ".join(repr(n) for n in names) or "none"
        raise DeviceError(f"no MIDI {kind} port named {name!r} (available: {available})")
    try:
        return backend.open_output(name) if output else backend.open_input(name, **options)
    except OSError as err:
        raise DeviceError(f"cannot open MIDI {kind} port {name!r}: {err}") from err


class RtMidiSender(LinkSender):
    """Sends to a system MIDI output port. Status: OK once open, UNREACHABLE on send errors."""

    def __init__(
        self, port_name: str, *, load_backend: BackendLoader = load_rtmidi_backend
    ) -> None:
        super().__init__(f"port {port_name!r}")
        self.port_name = port_name
        self._load = load_backend
        self._port: Any = None
        self._closed = False

    async def start(self) -> None:
        """Open the port in a worker thread; DeviceError naming the missing package or port."""
        if self._closed or self._port is not None:
            raise RuntimeError(f"MIDI port {self.port_name!r} already started or closed")
        try:
            self._port = await asyncio.to_thread(
                _open_port, self._load, self.port_name, output=True
            )
        except DeviceError as err:
            self._status.set(DeviceStatus.UNREACHABLE, str(err))
            raise
        self._status.set(DeviceStatus.OK, "port open")

    def send(self, messages: Sequence[bytes]) -> None:
        """Send each message (rtmidi's send returns at once); errors are counted, not raised."""
        for message in messages:
            if self._port is None:
                self.dropped += 1
                continue
            try:
                self._port.send(mido.Message.from_bytes(list(message)))
            except Exception as err:  # the backend's errors are not documented
                self.errors += 1
                self._status.set(DeviceStatus.UNREACHABLE, f"send failed: {err}")
            else:
                self.sent += 1
                self._status.set(DeviceStatus.OK, "sending")

    async def aclose(self) -> None:
        """Close the port; idempotent."""
        self._closed = True
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(port.close)


class RtMidiReceiver(LinkReceiver):
    """Listens on a system MIDI input port; rtmidi's thread hands messages to the loop."""

    def __init__(
        self,
        port_name: str,
        on_message: MessageCallback,
        *,
        load_backend: BackendLoader = load_rtmidi_backend,
    ) -> None:
        super().__init__(f"port {port_name!r}", on_message, None)
        self.port_name = port_name
        self._load = load_backend
        self._port: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def port(self) -> int:
        """System ports have no number."""
        return 0

    async def start(self) -> None:
        """Open the port with a callback; DeviceError naming the missing package or port."""
        self._loop = asyncio.get_running_loop()
        self._port = await asyncio.to_thread(
            _open_port, self._load, self.port_name, output=False, callback=self._from_thread
        )

    async def aclose(self) -> None:
        """Close the port; idempotent."""
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(port.close)

    def _from_thread(self, message: Any) -> None:
        """Runs on rtmidi's thread: one hop onto the loop, nothing else."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._deliver, bytes(message.bytes()))

    def _deliver(self, data: bytes) -> None:
        if self._port is not None:
            self._hand_on(data)
