"""Parsed rows kept on the server between the preview and the confirmation of an import.

The browser only holds a random token (in its session); the rows never travel through
form fields, so what is confirmed is exactly what was checked.
"""

import json
import re
import secrets
import time
from pathlib import Path

from django.conf import settings

from .rows import ImportRow

MAX_AGE_SECONDS = 24 * 60 * 60
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token: str) -> Path | None:
    if not _TOKEN_RE.match(token or ""):
        return None
    return _folder() / f"{token}.json"


def pending_import_save(*, rows: list[ImportRow], user_id: int, filename: str) -> str:
    """Store the rows for ``user_id`` and return the token that finds them again."""
    _remove_stale()
    token = secrets.token_urlsafe(24)
    data = {
        "user_id": user_id,
        "filename": filename,
        "rows": [row.to_data() for row in rows],
    }
    path = _path(token)
    assert path is not None
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return token


def pending_import_load(*, token: str, user_id: int) -> tuple[str, list[ImportRow]] | None:
    """The file name and rows stored under ``token``, if they exist and belong to the user."""
    path = _path(token)
    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("user_id") != user_id:
        return None
    return data.get("filename", ""), [ImportRow.from_data(item) for item in data["rows"]]


def pending_import_delete(*, token: str) -> None:
    path = _path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def _remove_stale() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in _folder().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue
