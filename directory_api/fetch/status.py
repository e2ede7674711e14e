"""Each source's state as a deployment sees it: the date of its data (the publisher's), its last
successful fetch and the status of the last one (`var/fetch/state.json`), for `/health` and `/sources`.

Read on each call (a small file), so that a nightly `directory fetch` shows without a restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from directory_api.fetch.runner import STATUS_LABELS, load_state

FetchStatus = Literal["refreshed", "unchanged", "failed", "manual", "not_configured", "never"]
FETCH_LABELS: dict[str, str] = {**STATUS_LABELS, "never": "jamais téléchargée ici (copie déposée)"}


class SourceStatus(BaseModel):
    data_date: str | None = Field(description="Date des données en service (celle de l'éditeur).")
    structures: int = Field(description="Lieux de cette source dans l'annuaire.")
    fetch: FetchStatus = Field(description="Résultat du dernier `directory fetch` pour cette source.")
    last_success: str | None = Field(default=None, description="Dernier téléchargement réussi (UTC).")
    last_checked: str | None = Field(default=None, description="Dernier essai (UTC).")
    reason: str | None = Field(default=None, description="Pourquoi, en cas d'échec ou de mise à jour manuelle.")


def source_statuses(structures_dir: Path, fetch_dir: Path) -> dict[str, SourceStatus]:
    try:
        entries = json.loads((structures_dir / "import-report.json").read_text(encoding="utf-8"))["sources"]
    except (OSError, ValueError, KeyError):
        entries = {}
    states = load_state(fetch_dir)
    statuses = {}
    for source, entry in sorted(entries.items()):
        state = states.get(source)
        statuses[source] = SourceStatus(
            data_date=entry.get("data_date"),
            structures=entry.get("structures", 0),
            fetch=state.status if state else "never",
            last_success=state.last_success if state else None,
            last_checked=state.checked_at if state else None,
            reason=state.reason if state else None,
        )
    return statuses
