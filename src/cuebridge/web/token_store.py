"""Panel tokens kept in the state directory, so a restart mid-show does not log every tablet out."""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cuebridge.runtime.roles import Role
from cuebridge.web.auth import PANEL_ROLES

logger = logging.getLogger(__name__)

FILE_NAME = "panel-tokens.json"


def load_or_create_tokens(state_dir: Path, configured: Mapping[Role, str]) -> dict[Role, str]:
    """Configured tokens win; other roles reuse the saved token or get a new one, saved 0600."""
    path = state_dir / FILE_NAME
    saved: dict[str, str] = {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            saved = {str(k): str(v) for k, v in data.items() if isinstance(v, str) and v}
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as err:
        logger.warning("%s unreadable (%s): new panel tokens are generated", path, err)
    tokens = dict(configured)
    for role in PANEL_ROLES:
        if role not in tokens:
            tokens[role] = saved.get(role.label) or secrets.token_urlsafe(16)
    generated = {role.label: token for role, token in tokens.items() if role not in configured}
    if generated != {k: v for k, v in saved.items() if k in generated}:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(generated, handle)
        except OSError as err:
            logger.warning(
                "cannot save panel tokens to %s (%s): links change on restart", path, err
            )
    return tokens
