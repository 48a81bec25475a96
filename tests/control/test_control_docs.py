"""The control docs list every address the server knows, and the server knows every one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from osc_harness import UdpClient, make_show, serve

from cuebridge.control.osc_dispatch import resolve
from cuebridge.control.osc_namespace import NATIVE_ADDRESSES
from cuebridge.control.osc_values import FEEDBACK_ADDRESSES
from cuebridge.control.qlab_compat import QLAB_ADDRESSES
from cuebridge.protocols.osc import osc_message

DOCS = Path(__file__).resolve().parents[2] / "docs"
API = DOCS / "control-api.md"
SURFACES = DOCS / "companion-touchosc.md"
SPAN = re.compile(r"`(/[A-Za-z{][^`\s]*)`")
OUTPUTS = ("/reply", "/update/", "/cuebridge/out/", "/cuebridge/pong", "/workspace/")
UNSUPPORTED = {"/auditionWindow"}
"""Named in the docs as what cuebridge does not answer."""
EXAMPLES = {"{number}": "12", "{list}": "main", "{id}": "x", "{property}": "name"}


def documented(path: Path) -> list[str]:
    """Every OSC address written as code in a doc."""
    return sorted(set(SPAN.findall(path.read_text(encoding="utf-8"))))


def concrete(address: str) -> str:
    for placeholder, example in EXAMPLES.items():
        address = address.replace(placeholder, example)
    return address


def inputs(path: Path) -> list[str]:
    """Documented addresses a client sends (not replies, updates or feedback)."""
    return [
        a
        for a in documented(path)
        if not a.startswith(OUTPUTS) and "..." not in a and a not in UNSUPPORTED
    ]


@pytest.mark.parametrize("path", [API, SURFACES], ids=lambda p: p.name)
def test_every_documented_input_address_resolves(path: Path) -> None:
    addresses = inputs(path)
    assert len(addresses) >= (30 if path == API else 8)
    unknown = [a for a in addresses if resolve(concrete(a)) is None]
    assert unknown == []


@pytest.mark.parametrize("path", [API, SURFACES], ids=lambda p: p.name)
def test_every_documented_feedback_address_exists(path: Path) -> None:
    feedback = [a for a in documented(path) if a.startswith("/cuebridge/out/")]
    assert feedback
    assert set(feedback) <= set(FEEDBACK_ADDRESSES)


def test_every_address_the_server_knows_is_documented() -> None:
    text = API.read_text(encoding="utf-8")
    known = [*NATIVE_ADDRESSES, *QLAB_ADDRESSES, *FEEDBACK_ADDRESSES]
    missing = [a for a in known if f"`{a}`" not in text and not a.startswith("/workspace/")]
    assert missing == []
    assert "`/workspace/{id}`" in text


async def test_a_live_server_accepts_every_documented_input_address() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            cue_id = run.server.dispatcher.index.cue_id("2")
            for address in inputs(API):
                real = address.replace("{number}", "2").replace("{id}", cue_id)
                client.send(osc_message(concrete(real)))
            client.send(osc_message("/cuebridge/ping", "s", "done"))
            await client.receive_until("/cuebridge/pong")
            rejected = run.server.dispatcher.stats.rejected
            assert "unknown-address" not in rejected, rejected
            assert "unknown-cue" not in rejected, rejected
        finally:
            client.close()
