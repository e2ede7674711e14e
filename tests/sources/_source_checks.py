"""Helpers shared by the source tests: read a source once, split structures and rejects."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from directory_api.models import Reject, Structure
from directory_api.sources.base import ImportContext


@dataclass
class SourceRun:
    structures: list[Structure] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def errors(self) -> list[Reject]:
        return [r for r in self.rejects if not r.out_of_scope]

    @property
    def out_of_scope(self) -> list[Reject]:
        return [r for r in self.rejects if r.out_of_scope]

    def by_id(self, structure_id: str) -> Structure:
        matches = [s for s in self.structures if s.id == structure_id]
        assert len(matches) == 1, f"{structure_id}: {len(matches)} structures"
        return matches[0]


def run(module: ModuleType, ctx: ImportContext) -> SourceRun:
    result = SourceRun()
    for item in module.read(ctx):
        (result.rejects if isinstance(item, Reject) else result.structures).append(item)
    return result


def data_rows(path: Path) -> int:
    """Records in a CSV file (quoted line breaks count as one record), header excluded."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def slots(structure: Structure, day: str) -> list[tuple[str, str]]:
    assert structure.hours is not None
    return [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in structure.hours.weekly.get(day, [])]
