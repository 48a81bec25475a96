"""cuebridge: a live show-control bridge from a theatre-style cue list to OSC, MIDI and sACN."""

__version__ = "0.1.0"
