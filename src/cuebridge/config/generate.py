"""Generated show files of any size, for benchmarks and load tests."""

from __future__ import annotations

_HEADER = """\
version: 1
show:
  title: Generated show ({n} cues)
  notes: Made by cuebridge.config.generate for benchmarks
settings:
  min_go_interval: 0.3
  panic_time: 3
devices:
  foh:
    profile: behringer-x32
    host: 127.0.0.1
    port: 10023
  lx:
    profile: generic-sacn
    host: 127.0.0.1
    port: 5568
  media:
    profile: resolume-arena
    host: 127.0.0.1
    port: 7000
  sound:
    profile: qlab5
    host: 127.0.0.1
    port: 53000
cue_lists:
  - id: main
    name: Main
    cues:
"""
_CURVES = ("linear", "s-curve", "exponential", "logarithmic")
_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "grey", "#3366cc")


def _actions(seed: int, indent: str) -> list[str]:
    """Between one and three actions; which ones depends on `seed`."""
    curve = _CURVES[seed % len(_CURVES)]
    options = [
        f"{indent}- device: foh\n{indent}  action: fader\n"
        f"{indent}  params: {{channel: {seed % 32 + 1}, level: {-(seed % 60)}}}\n"
        f"{indent}  fade: {seed % 5}\n{indent}  curve: {curve}\n",
        f"{indent}- device: lx\n{indent}  action: level\n"
        f"{indent}  params: {{universe: 1, address: {seed % 512 + 1}, level: {seed % 101}}}\n"
        f'{indent}  fade: "0:0{seed % 10}"\n',
        f"{indent}- {{device: media, action: clip_connect, "
        f"params: {{layer: 1, clip: {seed % 9 + 1}}}}}\n",
        f"{indent}- device: media\n{indent}  action: layer_opacity\n"
        f"{indent}  params: {{layer: {seed % 4 + 1}, opacity: {seed % 101}}}\n"
        f"{indent}  fade: 2.5\n",
        f'{indent}- {{device: sound, action: start, params: {{cue_number: "{seed}"}}}}\n',
    ]
    count = seed % 3 + 1
    return [options[(seed + offset) % len(options)] for offset in range(count)]


def _cue(number: str, seed: int, indent: str, *, child: bool) -> str:
    lines = [f'{indent}- number: "{number}"\n', f"{indent}  name: Cue {number}\n"]
    if seed % 4 == 0:
        lines.append(f"{indent}  notes: Standby on the call for cue {number}\n")
    if seed % 5 == 0:
        lines.append(f"{indent}  colour: {_COLOURS[seed % len(_COLOURS)]}\n")
    if seed % 3 == 0:
        lines.append(f"{indent}  pre_wait: {seed % 7 * 0.5}\n")
    if not child and seed % 6 == 1:
        lines.append(
            f"{indent}  continue: {'auto-follow' if seed % 12 == 1 else 'auto-continue'}\n"
        )
        lines.append(f"{indent}  post_wait: 1.5\n")
    lines.append(f"{indent}  actions:\n")
    lines += _actions(seed, indent + "    ")
    return "".join(lines)


def generate_show_text(n_cues: int) -> str:
    """A valid show with exactly `n_cues` cues: plain cues, groups with children, waits,
    auto-continue/follow, fades with every curve, and show-control actions."""
    parts = [_HEADER.format(n=n_cues)]
    made = 0
    top = 0
    indent = "      "
    while made < n_cues:
        top += 1
        number = str(top)
        remaining = n_cues - made
        if top % 10 == 0 and remaining >= 4:
            parts.append(_cue(number, top, indent, child=False))
            parts.append(f"{indent}  children:\n")
            parts.extend(
                _cue(f"{number}.{child}", top + child, indent + "    ", child=True)
                for child in range(1, 4)
            )
            made += 4
            continue
        parts.append(_cue(number, top, indent, child=False))
        if top % 25 == 0:
            parts.append(
                f'{indent}    - {{device: show, action: stop, params: {{cue: "{top - 1}"}}}}\n'
            )
        made += 1
    return "".join(parts)
