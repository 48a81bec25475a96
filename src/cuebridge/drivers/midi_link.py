"""Bookkeeping every MIDI sender and receiver shares: status, counters and message delivery."""

from __future__ import annotations

import logging

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import (
    LinkStatus,
    MalformedCallback,
    MessageCallback,
    StatusCallback,
)
from cuebridge.drivers.midi_stream import split_messages

logger = logging.getLogger(__name__)


class LinkSender:
    """The status and counters of a MIDI sender (see `midi_transport.MidiSender`)."""

    def __init__(self, what: str) -> None:
        self._status = LinkStatus(what)
        self.sent = 0
        """Messages (UDP: datagrams) handed on."""
        self.dropped = 0
        """Messages (UDP: datagrams) discarded: before start, after close, or while blocked."""
        self.errors = 0
        """Send errors the transport reported."""

    @property
    def status(self) -> DeviceStatus:
        """Current health."""
        return self._status.status

    @property
    def on_status(self) -> StatusCallback | None:
        """Callback hearing every status change."""
        return self._status.on_status

    @on_status.setter
    def on_status(self, callback: StatusCallback | None) -> None:
        self._status.on_status = callback


class LinkReceiver:
    """The callbacks and counters of a MIDI receiver; callback failures are logged, never raised."""

    def __init__(
        self, what: str, on_message: MessageCallback, on_malformed: MalformedCallback | None
    ) -> None:
        self._what = what
        self._on_message = on_message
        self._on_malformed = on_malformed
        self.messages = 0
        """Complete messages handed to `on_message`."""
        self.malformed = 0
        """Pieces of input dropped as unusable."""

    def _hand_on(self, message: bytes) -> None:
        """Give one complete message to `on_message`."""
        self.messages += 1
        try:
            self._on_message(message)
        except Exception:
            logger.exception("MIDI %s: message callback failed", self._what)

    def _hand_on_packet(self, packet: bytes, source: object = None) -> None:
        """Split a packet into messages (running status honoured within it) and hand them on."""
        messages, problems = split_messages(packet)
        for message in messages:
            self._hand_on(message)
        for problem in problems:
            self.malformed += 1
            origin = "" if source is None else f" from {source}"
            logger.debug("MIDI %s: dropped input%s: %s", self._what, origin, problem)
            if self._on_malformed is not None:
                try:
                    self._on_malformed(problem)
                except Exception:
                    logger.exception("MIDI %s: malformed-input callback failed", self._what)
