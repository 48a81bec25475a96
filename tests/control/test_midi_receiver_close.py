"""Closing the MIDI control inputs: one failing close never leaves the others open."""

from __future__ import annotations

import logging

import pytest

from cuebridge.control.midi_service import close_receivers
from cuebridge.drivers.midi_transport import MidiReceiver


class FakeReceiver:
    def __init__(self, fail: bool = False) -> None:
        self.messages = 0
        self.malformed = 0
        self.closed = False
        self._fail = fail

    @property
    def port(self) -> int:
        return 0

    async def aclose(self) -> None:
        self.closed = True
        if self._fail:
            raise OSError("port vanished")


async def test_every_receiver_is_closed_although_one_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fakes = [FakeReceiver(), FakeReceiver(fail=True), FakeReceiver(fail=True), FakeReceiver()]
    receivers: list[MidiReceiver] = list(fakes)
    with caplog.at_level(logging.ERROR, logger="cuebridge.control.midi_service"):
        await close_receivers(receivers)
    assert [fake.closed for fake in fakes] == [True, True, True, True]
    failures = [r for r in caplog.records if "closing the MIDI control input" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.exc_info is not None for r in failures)
