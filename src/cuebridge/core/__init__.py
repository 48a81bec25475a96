"""Pure domain: show model, cue numbers, curves, commands, effects, events and the cue engine."""
