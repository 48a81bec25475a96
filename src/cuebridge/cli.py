"""Command line: parse arguments and hand over to the app; no show logic here."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from cuebridge import __version__, app
from cuebridge.config.showfile import load_show, show_json_schema
from cuebridge.errors import InputFileError

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def build_parser() -> argparse.ArgumentParser:
    """The `cuebridge` argument parser."""
    parser = argparse.ArgumentParser(prog="cuebridge", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cuebridge {__version__}")
    parser.add_argument(
        "--profiles",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="extra directory of device profiles (repeatable)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a show")
    run.add_argument("show", type=Path)
    run.add_argument("--no-console", action="store_true", help="do not read commands from stdin")
    run.add_argument("--state-dir", type=Path, help="where state lives (today: the sACN CID)")

    demo = sub.add_parser("demo", help="run the bundled demo show")
    demo.add_argument("--no-console", action="store_true", help="do not read commands from stdin")
    demo.add_argument("--state-dir", type=Path, help="where state lives (today: the sACN CID)")

    check = sub.add_parser("check", help="validate show files; exit 1 listing every problem")
    check.add_argument("shows", type=Path, nargs="+")

    sub.add_parser("schema", help="print the show file JSON Schema")
    profiles = sub.add_parser("profiles", help="list device profiles and their actions")
    profiles.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cuebridge` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format=LOG_FORMAT, stream=sys.stderr)
    try:
        match args.command:
            case "run":
                return _run(args.show, args.profiles, not args.no_console, args.state_dir)
            case "demo":
                return _run(app.DEMO_SHOW, args.profiles, not args.no_console, args.state_dir)
            case "check":
                return _check(args.shows, args.profiles)
            case "schema":
                print(json.dumps(show_json_schema(), indent=2))
                return 0
            case "profiles":
                return _profiles(args.profiles, as_json=args.json)
    except InputFileError as err:
        print(str(err), file=sys.stderr)
        return 1
    return 2


def _run(show_path: Path, profile_dirs: list[Path], console: bool, state_dir: Path | None) -> int:
    catalog = app.load_catalog(profile_dirs)
    try:
        show = load_show(show_path, catalog)
    except InputFileError as err:
        print(f"cuebridge: not starting, {show_path} has problems:", file=sys.stderr)
        print(str(err), file=sys.stderr)
        return 1
    app.run(show, catalog, console=console, state_dir=state_dir)
    return 0


def _check(paths: list[Path], profile_dirs: list[Path]) -> int:
    catalog = app.load_catalog(profile_dirs)
    failed = 0
    for path in paths:
        try:
            show = load_show(path, catalog)
        except InputFileError as err:
            failed += 1
            print(str(err), file=sys.stderr)
            continue
        cues = sum(len(cue_list.cues) for cue_list in show.cue_lists)
        print(f"{path}: ok ({len(show.cue_lists)} cue list(s), {cues} top-level cue(s))")
    return 1 if failed else 0


def _profiles(profile_dirs: list[Path], *, as_json: bool) -> int:
    catalog = app.load_catalog(profile_dirs)
    if as_json:
        print(json.dumps(catalog.describe(), indent=2))
        return 0
    for line in catalog.describe_text():
        print(line)
    return 0
