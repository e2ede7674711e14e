"""Build the index when the data changed, for either engine.

The fingerprint covers the normalised data and its merge report, the taxonomy (it feeds the search categories) and the
format of the indexed documents. The API container calls `ensure_index` at start: on first start, or
after new data, it builds a new index and swaps it in; otherwise it serves the existing one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from directory_api.importer import read_structures
from directory_api.search.backend import SearchBackend

INDEX_FORMAT = "7"  # bump when documents.py, merge.py, text.py, the mappings or the SQLite schema change


def data_fingerprint(data_dir: Path) -> str:
    digest = hashlib.sha256(INDEX_FORMAT.encode())
    structures = data_dir / "structures"
    for path in [*sorted(structures.glob("*.jsonl")), structures / "merge-report.json", data_dir / "taxonomy.yml"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")  # no merge report: nothing merged
    return digest.hexdigest()[:16]


def ensure_index(backend: SearchBackend, data_dir: Path) -> bool:
    """Build the index if it is missing or older than the data; return True when it was built."""
    fingerprint = data_fingerprint(data_dir)
    if backend.indexed_fingerprint() == fingerprint:
        return False
    backend.bulk_load(read_structures(data_dir / "structures"), fingerprint=fingerprint)
    return True
