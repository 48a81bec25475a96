"""Who is asking: role tokens, share links, cookie/bearer extraction and the Origin check."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, urlsplit

from aiohttp import web

from cuebridge.runtime.roles import Role

logger = logging.getLogger(__name__)

TOKEN_COOKIE = "cuebridge_token"
PANEL_ROLES = (Role.VIEWER, Role.OPERATOR, Role.ADMIN)
MIN_TOKEN_LENGTH = 16


class TokenBook:
    """One secret token per role; looks tokens up in constant time."""

    def __init__(
        self,
        configured: Mapping[Role, str] | None = None,
        generate: Callable[[], str] = lambda: secrets.token_urlsafe(16),
    ) -> None:
        tokens = dict(configured or {})
        for role in PANEL_ROLES:
            if not tokens.get(role):
                tokens[role] = generate()
        unknown = [role for role in tokens if role not in PANEL_ROLES]
        if unknown:
            raise ValueError(f"tokens can only be given for viewer, operator and admin: {unknown}")
        if len(set(tokens.values())) != len(tokens):
            raise ValueError("each role needs its own token: two roles share one")
        for role, token in tokens.items():
            if len(token) < MIN_TOKEN_LENGTH:
                logger.warning(
                    "the %s token is short (%d characters): easy to guess", role.label, len(token)
                )
        self._tokens = tokens

    @property
    def tokens(self) -> dict[Role, str]:
        """The token of every role."""
        return dict(self._tokens)

    def role_of(self, token: str | None) -> Role:
        """The role a token grants; Role.NONE for a missing or unknown token."""
        if not token:
            return Role.NONE
        found = Role.NONE
        presented = token.encode()
        for role, expected in self._tokens.items():
            # Compare against every token so the time taken says nothing about which one matched.
            if secrets.compare_digest(presented, expected.encode()):
                found = role
        return found


TOKEN_ENV = {
    Role.VIEWER: "CUEBRIDGE_VIEWER_TOKEN",
    Role.OPERATOR: "CUEBRIDGE_OPERATOR_TOKEN",
    Role.ADMIN: "CUEBRIDGE_ADMIN_TOKEN",
}
"""Environment variables that fix a role's token (kept out of `ps` output, unlike arguments)."""


def tokens_from_env(environ: Mapping[str, str]) -> dict[Role, str]:
    """Tokens set in the environment (`CUEBRIDGE_OPERATOR_TOKEN=...`)."""
    return {role: environ[name] for role, name in TOKEN_ENV.items() if environ.get(name)}


def parse_role_tokens(entries: Iterable[str]) -> dict[Role, str]:
    """`["operator=s3cret", ...]` (from the command line or a file) as tokens per role."""
    tokens: dict[Role, str] = {}
    for entry in entries:
        name, sep, token = entry.partition("=")
        if not sep or not token.strip():
            raise ValueError(f"token setting {name!r}: expected ROLE=TOKEN, e.g. operator=...")
        role = Role.parse(name)
        if role not in PANEL_ROLES:
            raise ValueError(f"token setting {name!r}: role must be viewer, operator or admin")
        if role in tokens:
            raise ValueError(f"token setting: {role.label} given twice")
        tokens[role] = token.strip()
    return tokens


def share_links(base_url: str, tokens: Mapping[Role, str]) -> dict[Role, str]:
    """Login links that carry each role's token, for printing at start."""
    return {
        role: f"{base_url}/login?token={quote(token, safe='')}" for role, token in tokens.items()
    }


def token_from(authorization: str | None, cookie: str | None) -> str | None:
    """The token of a request: an `Authorization: Bearer` header first, then the cookie."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return cookie or None


def peer_of(request: web.BaseRequest) -> str:
    """`host:port` of the client connection behind an aiohttp request."""
    peername = request.transport.get_extra_info("peername") if request.transport else None
    if isinstance(peername, tuple) and len(peername) >= 2:
        return f"{peername[0]}:{peername[1]}"
    return str(request.remote or "unknown")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _normalise(origin: str) -> str | None:
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host.lower()}:{port}"


class OriginPolicy:
    """Which browser pages may talk to the panel: the panel's own origin and configured extras.

    The panel's own origin is recognised from the `Host` header only when that host is an IP
    address or `localhost`: a DNS-rebinding page has a host name of its own, so it is refused
    unless that name was configured as an extra origin.
    """

    def __init__(self, extra_origins: Iterable[str] = ()) -> None:
        self._extra = {norm for origin in extra_origins if (norm := _normalise(origin))}
        self._port: int | None = None

    def bind(self, port: int) -> None:
        """Record the port the panel is actually served on (known once the socket is bound)."""
        self._port = port

    def allows(self, origin: str | None, host_header: str | None) -> bool:
        """Whether a request with this Origin may act; no Origin means a non-browser client."""
        if origin is None:
            return True
        wanted = _normalise(origin)
        if wanted is None:
            return False
        if wanted in self._extra:
            return True
        if not host_header or self._port is None:
            return False
        served = _normalise(f"http://{host_header}")
        if served is None or urlsplit(served).port != self._port:
            return False
        hostname = urlsplit(served).hostname or ""
        if not (_is_ip_literal(hostname) or hostname == "localhost"):
            return False
        return wanted == served
