"""Pacer: E1.31's per-universe rate limit under the window and interval readings."""

from __future__ import annotations

import math

import pytest

from cuebridge.config.device_options import RATE_RULES, SACN_MAX_FPS, RateRule
from cuebridge.drivers.sacn_pacing import MAX_RATE, MIN_INTERVAL, RESERVE, Pacer
from cuebridge.drivers.sacn_sender import MAX_FPS


def test_a_fresh_universe_may_send_at_once_under_both_rules() -> None:
    for rule in RateRule:
        pacer = Pacer(rule)
        assert pacer.next_prompt() == pacer.next_frame(redundant=True) == -math.inf


def test_window_allows_44_packets_in_any_second_then_waits_for_the_oldest() -> None:
    pacer = Pacer(RateRule.WINDOW)
    for n in range(MAX_RATE - 1):
        pacer.record(10.0 + n * 0.001, 10.0 + n * 0.001)
    assert pacer.next_prompt() == -math.inf  # 43 in the last second: one more may go
    pacer.record(10.5, 10.5)
    assert pacer.next_prompt() == pytest.approx(11.0)  # the first leaves the window at 11.0
    assert pacer.next_frame(redundant=False) == pytest.approx(11.0)


def test_window_keeps_a_reserve_for_gos_from_repeats_and_keepalives() -> None:
    pacer = Pacer(RateRule.WINDOW)
    for n in range(MAX_RATE - RESERVE):
        pacer.record(10.0 + n / MAX_RATE, 10.0 + n / MAX_RATE)
    assert pacer.next_frame(redundant=True) == pytest.approx(11.0)  # repeats wait...
    assert pacer.next_frame(redundant=False) == -math.inf  # ...changes and GOs do not
    assert pacer.next_prompt() == -math.inf


def test_interval_spaces_gos_from_the_real_send_and_frames_from_the_schedule() -> None:
    pacer = Pacer(RateRule.INTERVAL)
    pacer.record(10.0, 10.003)  # a frame of 10.0 that went 3 ms late
    assert pacer.next_frame(redundant=False) == pytest.approx(10.0 + MIN_INTERVAL)
    assert pacer.next_prompt() == pytest.approx(10.003 + MIN_INTERVAL)


def test_recorded_times_never_go_backwards() -> None:
    pacer = Pacer(RateRule.INTERVAL)
    pacer.record(10.02, 10.02)  # a GO between frames
    pacer.record(10.01, 10.021)  # then a late frame scheduled before it
    assert pacer.next_frame(redundant=False) == pytest.approx(10.02 + MIN_INTERVAL)


def test_rules_and_rate_are_those_the_show_checker_accepts() -> None:
    assert tuple(rule.value for rule in RateRule) == RATE_RULES == ("window", "interval")
    assert MAX_RATE == SACN_MAX_FPS == MAX_FPS
