"""Source mappings, one module per source. Every module with `INFO` and `read` is a source."""

from __future__ import annotations

import importlib
import pkgutil

from directory_api.sources.base import SourceModule

_NOT_SOURCES = {"base", "common", "hours_parsing", "data_inclusion"}  # data_inclusion: a format reader, no dataset


def all_sources() -> list[SourceModule]:
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _NOT_SOURCES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "INFO") and hasattr(module, "read"):
            modules.append(module)
    return modules  # type: ignore[return-value]
