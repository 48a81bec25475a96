"""A CC mapped without a value fires on the rise from 0, not on every move of a fader."""

from __future__ import annotations

from cuebridge.control.midi_input import MidiMapper
from cuebridge.core.commands import Go, Stop
from cuebridge.core.control_settings import MidiTrigger

FADER = MidiTrigger(kind="cc", number=7, command="go")
EXACT = MidiTrigger(kind="cc", number=20, value=127, command="stop")


def cc(channel: int, number: int, value: int) -> bytes:
    return bytes([0xB0 | (channel - 1), number, value])


def fires(mapper: MidiMapper, messages: list[bytes]) -> list[str]:
    fired = []
    for message in messages:
        command = mapper.command(message, "midi:test")
        if command is not None:
            fired.append(type(command).__name__)
    return fired


def test_a_fader_moving_up_fires_once_and_again_only_after_returning_to_zero() -> None:
    mapper = MidiMapper([FADER])
    move_up = [cc(1, 7, v) for v in (0, 1, 10, 64, 127, 90, 30)]
    assert fires(mapper, move_up) == ["Go"]
    assert fires(mapper, [cc(1, 7, v) for v in (12, 5, 1)]) == []  # still up: no GO
    assert fires(mapper, [cc(1, 7, 0), cc(1, 7, 3), cc(1, 7, 9)]) == ["Go"]


def test_the_first_value_seen_counts_as_a_rise_and_channels_are_tracked_apart() -> None:
    mapper = MidiMapper([FADER])
    assert isinstance(mapper.command(cc(1, 7, 100), "midi:x"), Go)  # unknown -> above 0
    assert mapper.command(cc(1, 7, 101), "midi:x") is None
    assert isinstance(mapper.command(cc(2, 7, 50), "midi:x"), Go)  # another channel
    assert mapper.command(cc(2, 7, 51), "midi:x") is None
    assert mapper.command(cc(1, 8, 0), "midi:x") is None  # another controller, released


def test_a_button_cc_fires_on_every_press_release_pair() -> None:
    mapper = MidiMapper([FADER])
    assert fires(mapper, [cc(1, 7, 127), cc(1, 7, 0)] * 3) == ["Go"] * 3


def test_a_cc_with_a_value_fires_on_every_message_with_that_value() -> None:
    mapper = MidiMapper([EXACT])
    assert isinstance(mapper.command(cc(1, 20, 127), "midi:x"), Stop)
    assert isinstance(mapper.command(cc(1, 20, 127), "midi:x"), Stop)  # no release needed
    assert mapper.command(cc(1, 20, 126), "midi:x") is None
