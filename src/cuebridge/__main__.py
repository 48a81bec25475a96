"""Entry point for `python -m cuebridge`."""

from cuebridge.cli import main

raise SystemExit(main())
