"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from directory_api import usage, web
from directory_api.api import errors
from directory_api.api.routes import categories, exports, health, places, structures
from directory_api.api.search_service import DirectoryService
from directory_api.geography.gazetteer import Gazetteer
from directory_api.importer import merged_aliases
from directory_api.settings import Settings
from directory_api.taxonomy import get_taxonomy

DESCRIPTION = """
Annuaire d'orientation en Île-de-France : les lieux qui aident (santé, santé sexuelle et IVG,
contraception d'urgence, hébergement, alimentation, douches, toilettes, eau, aide administrative
et numérique), construit à partir de données ouvertes.

Chaque lieu indique sa source, sa licence et la date de ses données. Des horaires inconnus sont
annoncés comme inconnus, jamais comme ouverts ; des données anciennes sont signalées.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = settings.make_backend()
        if backend.health():
            backend.warm_up()
        # One recorder per server process; all of them add to the same SQLite file.
        recorder = usage.make_recorder(settings.usage_path, settings.data_dir / "places") if settings.usage_enabled else None
        app.state.usage = recorder
        app.state.directory = DirectoryService(
            backend=backend,
            gazetteer=Gazetteer.load(settings.data_dir / "places"),
            taxonomy=get_taxonomy(),
            stale_after_days=settings.stale_after_days,
            merged_into=merged_aliases(settings.data_dir / "structures"),
            on_search=recorder.record if recorder else None,
        )
        yield
        if recorder is not None:
            recorder.close()  # writes the last searches counted
        backend.close()

    app = FastAPI(
        title="Annuaire d'orientation Île-de-France",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
    )
    errors.install(app)
    # Built on the first request from the files the index is built from, then kept for the process.
    app.state.data_inclusion_export = exports.DataInclusionExport(settings.data_dir / "structures")
    for module in (structures, places, categories, exports, usage, health):
        app.include_router(module.router)
    web.install(app, settings)
    return app
