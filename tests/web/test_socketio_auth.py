"""Access control pieces: role tokens, share links, token extraction, Origin policy, rate limits."""

from __future__ import annotations

import logging

import pytest

from cuebridge.runtime.clock import FakeClock
from cuebridge.runtime.roles import Role
from cuebridge.web.auth import (
    OriginPolicy,
    TokenBook,
    parse_role_tokens,
    share_links,
    token_from,
    tokens_from_env,
)
from cuebridge.web.limits import RateLimiter, RejectionLog


def test_missing_tokens_are_generated_and_configured_ones_kept() -> None:
    book = TokenBook({Role.OPERATOR: "op-secret"})
    tokens = book.tokens
    assert tokens[Role.OPERATOR] == "op-secret"
    assert len({tokens[Role.VIEWER], tokens[Role.ADMIN], "op-secret"}) == 3
    assert len(tokens[Role.VIEWER]) >= 16
    assert len(tokens[Role.ADMIN]) >= 16
    assert book.role_of("op-secret") is Role.OPERATOR
    assert book.role_of(tokens[Role.ADMIN]) is Role.ADMIN
    for wrong in ("", None, "op-secre", "op-secret ", "OP-SECRET"):
        assert book.role_of(wrong) is Role.NONE


def test_two_roles_cannot_share_a_token() -> None:
    with pytest.raises(ValueError, match="own token"):
        TokenBook({Role.VIEWER: "same", Role.OPERATOR: "same"})
    with pytest.raises(ValueError, match="viewer, operator and admin"):
        TokenBook({Role.NONE: "nobody"})


def test_tokens_come_from_settings_and_the_environment() -> None:
    assert parse_role_tokens(["operator=abc", "Admin = xyz "]) == {
        Role.OPERATOR: "abc",
        Role.ADMIN: "xyz",
    }
    for bad in (["operator"], ["operator="], ["captain=x"], ["none=x"], ["viewer=a", "viewer=b"]):
        with pytest.raises(ValueError, match=r"token setting|unknown role"):
            parse_role_tokens(bad)
    environ = {"CUEBRIDGE_OPERATOR_TOKEN": "from-env", "CUEBRIDGE_ADMIN_TOKEN": "", "HOME": "/"}
    assert tokens_from_env(environ) == {Role.OPERATOR: "from-env"}


def test_share_links_carry_each_token_escaped() -> None:
    links = share_links("http://127.0.0.1:8080", {Role.VIEWER: "a b&c", Role.ADMIN: "x"})
    assert links == {
        Role.VIEWER: "http://127.0.0.1:8080/login?token=a%20b%26c",
        Role.ADMIN: "http://127.0.0.1:8080/login?token=x",
    }


def test_a_bearer_header_wins_over_the_cookie() -> None:
    assert token_from("Bearer abc", "cookie") == "abc"
    assert token_from("bearer  abc ", None) == "abc"
    assert token_from("Basic abc", "cookie") == "cookie"
    assert token_from(None, None) is None
    assert token_from("Bearer ", "") is None


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "127.0.0.1:8080", True),  # not a browser: the token decides
        ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
        ("http://localhost:8080", "localhost:8080", True),
        ("http://192.168.1.20:8080", "192.168.1.20:8080", True),  # a tablet on the show LAN
        ("http://[::1]:8080", "[::1]:8080", True),
        ("http://127.0.0.1:8080", "127.0.0.1:9090", False),
        ("http://127.0.0.1:9090", "127.0.0.1:9090", False),  # not the panel's port
        ("http://evil.example:8080", "evil.example:8080", False),  # DNS rebinding
        ("http://evil.example", "127.0.0.1:8080", False),
        ("https://127.0.0.1:8080", "127.0.0.1:8080", False),
        ("null", "127.0.0.1:8080", False),
        ("http://127.0.0.1:8080", None, False),
        ("http://showpc.local:8080", "showpc.local:8080", True),  # configured below
        ("http://SHOWPC.local:8080", "showpc.local:8080", True),
        ("http://showpc.local", "showpc.local", False),
    ],
)
def test_origin_policy(origin: str | None, host: str | None, allowed: bool) -> None:
    policy = OriginPolicy(["http://showpc.local:8080"])
    policy.bind(8080)
    assert policy.allows(origin, host) is allowed


def test_an_unbound_policy_accepts_only_configured_origins() -> None:
    policy = OriginPolicy(["http://showpc.local:8080"])
    assert not policy.allows("http://127.0.0.1:8080", "127.0.0.1:8080")
    assert policy.allows("http://showpc.local:8080", "anything")


def test_token_buckets_allow_bursts_then_the_rate_per_client() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=10, burst=20, clock=clock.now)
    assert [limiter.allow("a") for _ in range(21)] == [True] * 20 + [False]
    assert limiter.allow("b")  # other clients have their own bucket
    clock.advance(0.1)
    assert limiter.allow("a")
    assert not limiter.allow("a")
    clock.advance(10)
    assert sum(limiter.allow("a") for _ in range(30)) == 20
    limiter.forget("a")
    clock.advance(100)
    limiter.prune()
    assert [limiter.allow("a") for _ in range(20)] == [True] * 20


def test_a_flood_of_rejections_is_logged_once_a_second_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    log = RejectionLog(clock.now)
    with caplog.at_level(logging.WARNING, logger="cuebridge.web.limits"):
        for _ in range(50):
            log.reject("10.0.0.9", "rate-limited", "'go'", "too many requests")
        clock.advance(1.5)
        log.reject("10.0.0.9", "rate-limited", "'go'", "too many requests")
        log.reject("10.0.0.7", "unauthorized", "socket.io connect", "unknown token")
    lines = [record.getMessage() for record in caplog.records]
    assert log.count == 52
    assert len(lines) == 3
    assert "+49 similar suppressed" in lines[1]
    assert "10.0.0.7" in lines[2]
