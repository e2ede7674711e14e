"""The server's secret: it signs the chat's conversation cookie and keys the HMAC under which client
addresses are counted. From `SECRET_KEY` (a deployment with several machines sets the same one
everywhere), else drawn once into a file only the server's user can read (`SECRET_PATH`), where every
process of the machine finds it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from directory_api.settings import Settings

MIN_SECRET_CHARS = 32


def server_secret(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.secret_path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # the first process to start writes it; O_EXCL: two starting at once cannot both write
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    for _ in range(50):  # a process that lost the race may read before the winner has written
        text = Path(path).read_text().strip()
        if len(text) >= MIN_SECRET_CHARS:
            return text.encode()
        import time

        time.sleep(0.02)
    raise RuntimeError(f"secret du serveur illisible dans {path}")
