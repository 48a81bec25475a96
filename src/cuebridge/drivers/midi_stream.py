"""Splitting raw MIDI bytes into complete messages, tolerating and counting malformed input."""

from __future__ import annotations

from typing import Final

MAX_SYSEX: Final = 65_536
"""A longer sysex is discarded (a stream that never sends F7 must not grow without bound)."""

_CHANNEL_LENGTHS: Final = {0x8: 3, 0x9: 3, 0xA: 3, 0xB: 3, 0xC: 2, 0xD: 2, 0xE: 3}
_COMMON_LENGTHS: Final = {0xF1: 2, 0xF2: 3, 0xF3: 2, 0xF6: 1}
_UNDEFINED: Final = frozenset({0xF4, 0xF5, 0xF9, 0xFD})


def message_length(status: int) -> int | None:
    """Bytes in a message with this status byte (None for sysex, undefined or data bytes)."""
    if 0x80 <= status < 0xF0:
        return _CHANNEL_LENGTHS[status >> 4]
    if status in _COMMON_LENGTHS:
        return _COMMON_LENGTHS[status]
    if status >= 0xF8 and status not in _UNDEFINED:
        return 1
    return None


class MidiStreamParser:
    """Feeds on raw MIDI bytes and returns whole messages, each as its own bytes.

    Handles running status on input (messages come out with their status byte), real-time
    bytes anywhere (even inside sysex), and sysex of any length up to MAX_SYSEX. Anything it
    cannot use (data bytes without a status, a message cut short by another status, an
    undefined status, a stray F7) is dropped and described in `take_problems()`.
    """

    def __init__(self) -> None:
        self.malformed = 0
        """Problems seen since creation."""
        self._problems: list[str] = []
        self._running: int | None = None
        self._partial = bytearray()
        self._sysex: bytearray | None = None
        self._skipping = False  # the rest of an overlong sysex, up to the next status byte

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Consume bytes in any chunking; the complete messages they finish, in order."""
        messages: list[bytes] = []
        for byte in bytes(data):
            message = self._byte(byte)
            if message is not None:
                messages.append(message)
        return messages

    def end(self) -> None:
        """The stream (or datagram) ended: a half-received message is dropped."""
        if self._sysex is not None:
            self._problem("sysex without F7 at the end of the packet")
        elif self._partial:
            self._problem(f"message cut short: {bytes(self._partial).hex(' ')}")
        self._sysex = None
        self._skipping = False
        self._partial.clear()
        self._running = None

    def take_problems(self) -> list[str]:
        """Descriptions of the input dropped since the last call."""
        problems, self._problems = self._problems, []
        return problems

    def _problem(self, text: str) -> None:
        self.malformed += 1
        self._problems.append(text)

    def _byte(self, byte: int) -> bytes | None:
        if byte >= 0xF8:
            if byte in _UNDEFINED:
                self._problem(f"undefined status {byte:02X}")
                return None
            return bytes((byte,))  # real-time: never disturbs the message around it
        if self._sysex is not None:
            return self._sysex_byte(byte)
        if self._skipping:
            self._skipping = byte < 0x80
            if byte < 0x80 or byte == 0xF7:  # its data, or the F7 that ends it
                return None
        if byte >= 0x80:
            return self._status(byte)
        return self._data(byte)

    def _sysex_byte(self, byte: int) -> bytes | None:
        assert self._sysex is not None
        if byte < 0x80:
            if len(self._sysex) >= MAX_SYSEX:
                self._sysex, self._skipping = None, True
                self._problem(f"sysex longer than {MAX_SYSEX} bytes")
                return None
            self._sysex.append(byte)
            return None
        if byte == 0xF7:
            message = bytes((*self._sysex, 0xF7))
            self._sysex = None
            return message
        self._sysex = None
        self._problem("sysex cut short by another status byte")
        return self._status(byte)

    def _status(self, byte: int) -> bytes | None:
        if self._partial:
            self._problem(f"message cut short: {bytes(self._partial).hex(' ')}")
            self._partial.clear()
        if byte == 0xF0:
            self._running = None
            self._sysex = bytearray((0xF0,))
            return None
        length = message_length(byte)
        if length is None:
            self._running = None
            self._problem("F7 without a sysex" if byte == 0xF7 else f"undefined status {byte:02X}")
            return None
        self._running = byte if byte < 0xF0 else None  # system common cancels running status
        self._partial.append(byte)
        return self._complete(length)

    def _data(self, byte: int) -> bytes | None:
        if not self._partial:
            if self._running is None:
                self._problem(f"data byte {byte:02X} without a status")
                return None
            self._partial.append(self._running)
        self._partial.append(byte)
        length = message_length(self._partial[0])
        assert length is not None
        return self._complete(length)

    def _complete(self, length: int) -> bytes | None:
        if len(self._partial) < length:
            return None
        message = bytes(self._partial)
        self._partial.clear()
        return message


def split_messages(data: bytes) -> tuple[list[bytes], list[str]]:
    """One self-contained packet: its complete messages and what was dropped."""
    parser = MidiStreamParser()
    messages = parser.feed(data)
    parser.end()
    return messages, parser.take_problems()
