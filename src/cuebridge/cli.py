"""Command line: parse arguments and hand over to the app; no show logic here."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cuebridge import __version__, app
from cuebridge.config.showfile import load_show, show_json_schema
from cuebridge.control.console import open_stdin_reader
from cuebridge.control.osc_service import DEFAULT_PORT as OSC_PORT
from cuebridge.core.model import ParamValue
from cuebridge.errors import CuebridgeError, DeviceError, InputFileError
from cuebridge.report import parse_when, write_report
from cuebridge.runtime.showlog import FILE_NAME as SHOWLOG_FILE
from cuebridge.sim.faults import FAULT_SYNTAX, parse_fault
from cuebridge.sim.standalone import run_standalone
from cuebridge.web.auth import tokens_from_env

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def build_parser() -> argparse.ArgumentParser:
    """The `cuebridge` argument parser."""
    parser = argparse.ArgumentParser(
        prog="cuebridge",
        description="Live show control: a cue list driving OSC, MIDI and sACN gear.",
    )
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
    _add_run_options(run)
    run.add_argument(
        "--simulate",
        action="store_true",
        help="rehearsal: a simulator stands in for every device; nothing reaches real gear",
    )
    demo = sub.add_parser("demo", help="run the bundled demo show on simulated devices")
    _add_run_options(demo)
    for parser_ in (run, demo):
        parser_.add_argument(
            "--fault",
            action="append",
            default=[],
            metavar="DEVICE:FAULT",
            help=f"rehearsal: start a simulated device with a fault ({FAULT_SYNTAX})",
        )

    check = sub.add_parser("check", help="validate show files; exit 1 listing every problem")
    check.add_argument("shows", type=Path, nargs="+")

    sub.add_parser("schema", help="print the show file JSON Schema")
    profiles = sub.add_parser("profiles", help="list device profiles and their actions")
    profiles.add_argument("--json", action="store_true", help="machine-readable output")

    sim = sub.add_parser("sim", help="run one simulated device, printing what it receives")
    sim.add_argument("profile", help="profile id (see `cuebridge profiles`)")
    sim.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)")
    sim.add_argument(
        "--fault", action="append", default=[], help=f"start with a fault: {FAULT_SYNTAX}"
    )
    sim.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="device option"
    )

    report = sub.add_parser("report", help="write the show report (HTML + CSV) from the show log")
    report.add_argument("--state-dir", type=Path, default=app.DEFAULT_STATE_DIR)
    report.add_argument("--from", dest="start", help="from (2024-05-01T19:30, or 19:30 today)")
    report.add_argument("--to", dest="end", help="until (same forms as --from)")
    report.add_argument("--out", type=Path, default=Path("."), help="output directory")
    return parser


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-console", action="store_true", help="do not read commands from stdin")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address the web panel and OSC control listen on (default 127.0.0.1: this machine)",
    )
    parser.add_argument("--web-port", type=int, default=app.WEB_PORT, help="web panel port")
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="another address browsers use for the panel, e.g. http://showpc.local:8080",
    )
    parser.add_argument("--no-web", action="store_true", help="no web panel or HTTP API")
    parser.add_argument("--osc-port", type=int, default=OSC_PORT, help="OSC control port")
    parser.add_argument("--no-osc", action="store_true", help="no OSC control server")
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="show log, playback state for crash recovery, panel tokens, sACN CID"
        " (default ./state, or ./state/rehearsal with --simulate and demo)",
    )
    parser.add_argument(
        "--no-state", action="store_true", help="keep no state: no show log, no crash recovery"
    )
    parser.add_argument(
        "--no-recover-levels",
        action="store_true",
        help="after a crash, restore the standby cue but not the lighting levels",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cuebridge` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format=LOG_FORMAT, stream=sys.stderr)
    try:
        match args.command:
            case "run":
                return _run(args.show, args, simulate=args.simulate)
            case "demo":
                return _run(app.DEMO_SHOW, args, simulate=True)
            case "check":
                return _check(args.shows, args.profiles)
            case "schema":
                print(json.dumps(show_json_schema(), indent=2))
                return 0
            case "profiles":
                return _profiles(args.profiles, as_json=args.json)
            case "sim":
                return _sim(args)
            case "report":
                return _report(args)
    except InputFileError as err:
        print(str(err), file=sys.stderr)
        return 1
    return 2


def _run(show_path: Path, args: argparse.Namespace, *, simulate: bool) -> int:
    catalog = app.load_catalog(args.profiles)
    try:
        show = load_show(show_path, catalog)
        tokens = tokens_from_env(os.environ)
        faults = device_faults(args.fault, simulate=simulate)
        if unknown := sorted(set(faults) - set(show.devices)):
            raise ValueError(f"--fault names no device of the show: {', '.join(unknown)}")
    except InputFileError as err:
        print(f"cuebridge: not starting, {show_path} has problems:", file=sys.stderr)
        print(str(err), file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"cuebridge: not starting: {err}", file=sys.stderr)
        return 1
    options = app.RunOptions(
        show_path=show_path,
        simulate=simulate,
        console=not args.no_console,
        host=args.host,
        web_port=None if args.no_web else args.web_port,
        osc_port=None if args.no_osc else args.osc_port,
        state_dir=None if args.no_state else (args.state_dir or _default_state_dir(simulate)),
        tokens=tokens or None,
        recover_levels=not args.no_recover_levels,
        faults=faults,
        allowed_origins=tuple(args.allow_origin),
    )
    try:
        app.run(show, catalog, options)
    except DeviceError as err:
        print(f"cuebridge: not starting: {err}", file=sys.stderr)
        return 1
    return 0


def _default_state_dir(simulate: bool) -> Path:
    # A rehearsal keeps its own state: its standby and levels must never be "recovered" live.
    return app.DEFAULT_STATE_DIR / "rehearsal" if simulate else app.DEFAULT_STATE_DIR


def device_faults(specs: Sequence[str], *, simulate: bool) -> dict[str, tuple[str, ...]]:
    """`--fault DEVICE:FAULT` values grouped by device, each checked."""
    faults: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        device, sep, fault = spec.partition(":")
        if not sep or not device or not fault:
            raise ValueError(f"--fault expects DEVICE:FAULT (e.g. foh:offline), got {spec!r}")
        if not simulate:
            raise ValueError("--fault needs --simulate: faults are injected into simulators")
        parse_fault(fault)
        faults[device] = (*faults.get(device, ()), fault)
    return faults


def _sim(args: argparse.Namespace) -> int:
    catalog = app.load_catalog(args.profiles)
    profile = catalog.get(args.profile)
    if profile is None:
        known = ", ".join(catalog.ids())
        print(f"cuebridge sim: unknown profile {args.profile!r}; known: {known}", file=sys.stderr)
        return 2
    try:
        for spec in args.fault:
            parse_fault(spec)
        options = dict(_option(text) for text in args.option)
    except ValueError as err:
        print(f"cuebridge sim: {err}", file=sys.stderr)
        return 2

    async def serve() -> None:
        commands = await open_stdin_reader()
        await run_standalone(
            profile, args.port, sys.stdout, faults=args.fault, options=options, commands=commands
        )

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    except CuebridgeError as err:
        print(f"cuebridge sim: {err}", file=sys.stderr)
        return 1
    return 0


def _option(text: str) -> tuple[str, ParamValue]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--option expects KEY=VALUE, got {text!r}")
    value: ParamValue = raw
    for convert in (int, float):
        try:
            value = convert(raw)
            break
        except ValueError:
            continue
    return key.strip(), value


def _report(args: argparse.Namespace) -> int:
    try:
        start = parse_when(args.start) if args.start else None
        end = parse_when(args.end) if args.end else None
    except ValueError as err:
        print(f"cuebridge report: {err}", file=sys.stderr)
        return 2
    db = args.state_dir / SHOWLOG_FILE
    try:
        html_path, csv_path = write_report(db, args.out, start, end)
    except FileNotFoundError:
        print(f"cuebridge report: no show log at {db} (see --state-dir)", file=sys.stderr)
        return 1
    print(html_path)
    print(csv_path)
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
