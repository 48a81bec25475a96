"""The installation's sACN CID (E1.31 source id), kept for its lifetime in the state directory."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

CID_FILE: Final = "sacn-cid"


def load_or_create_cid(state_dir: Path) -> uuid.UUID:
    """The sACN CID kept in `state_dir/sacn-cid`; a missing or corrupt file gets a new uuid4."""
    path = state_dir / CID_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        pass
    else:
        try:
            return uuid.UUID(raw.decode("ascii").strip())
        except ValueError:  # includes UnicodeDecodeError
            logger.warning("%s does not hold a UUID; writing a new sACN CID", path)
    cid = uuid.uuid4()
    state_dir.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=state_dir, prefix=f".{CID_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(f"{cid}\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return cid
