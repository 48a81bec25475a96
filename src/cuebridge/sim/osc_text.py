"""Readable text and JSON values for OSC messages, and short reasons for malformed packets."""

from __future__ import annotations

from typing import Any, Final

from cuebridge.protocols.osc import OscArg, OscMessage, OscValue

_DECODE_REASONS: Final = (
    ("empty packet", "empty"),
    ("not a multiple of 4", "bad_size"),
    ("not '/' or '#bundle'", "not_osc"),
    ("runs past", "truncated"),
    ("padding", "bad_padding"),
    ("type tag", "bad_type_tags"),
    ("UTF-8", "bad_text"),
    ("trailing bytes", "trailing_bytes"),
    ("bundle", "bad_bundle"),
    ("truncated", "truncated"),
    ("remain", "truncated"),
    ("negative", "bad_size"),
)
"""(text in an OscDecodeError message, reason counted): first match wins."""


def decode_reason(error: Exception) -> str:
    """A short, bounded reason key for a decode error (for counting by reason)."""
    text = str(error)
    return next((reason for needle, reason in _DECODE_REASONS if needle in text), "malformed")


def format_value(arg: OscArg) -> str:
    """One argument as people read it: 0.75, 3, "text", true, nil, <blob 4 bytes>."""
    value = arg.value
    if arg.tag in ("T", "F"):
        return "true" if value else "false"
    if value is None:
        return "nil" if arg.tag == "N" else "impulse"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return f'"{value}"' if arg.tag in ("s", "S") else repr(value)
    if isinstance(value, bytes):
        return f"<blob {len(value)} bytes>"
    if isinstance(value, tuple):
        return "(" + " ".join(str(part) for part in value) + ")"
    return str(value)


def format_message(message: OscMessage) -> str:
    """A message as one readable line: the address then each argument."""
    return " ".join([message.address, *(format_value(arg) for arg in message.args)])


def json_value(value: OscValue) -> Any:
    """An argument value as JSON-able data (blobs as hex, 4-byte tuples as lists)."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return list(value)
    return value


def preview(data: bytes, limit: int = 24) -> str:
    """The start of a raw packet in hex, for reporting what was ignored."""
    shown = data[:limit].hex(" ")
    return f"{shown} ..." if len(data) > limit else shown or "(empty)"
