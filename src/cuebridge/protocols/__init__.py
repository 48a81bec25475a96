"""Pure wire codecs (no I/O): OSC and its stream framing, MIDI Show Control, MIDI timecode, sACN."""
