"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from directory_api import usage, web
from directory_api.api import errors
from directory_api.api.export_files import ExportBuilder, ExportCache
from directory_api.api.protection import POLICIES, ClientLimiter, Protection
from directory_api.api.routes import categories, exports, health, places, structures
from directory_api.api.search_service import DirectoryService
from directory_api.geography.gazetteer import Gazetteer
from directory_api.importer import merged_aliases
from directory_api.server_secret import server_secret
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
        # One recorder per server process; all of them add to the same SQLite file.
        recorder = usage.make_recorder(settings.usage_path, settings.data_dir / "places") if settings.usage_enabled else None
        app.state.usage = recorder
        app.state.directory = make_service(settings, on_search=recorder.record if recorder else None)
        yield
        if recorder is not None:
            recorder.close()  # writes the last searches counted
        app.state.export_builder.close()
        app.state.directory.backend.close()

    app = FastAPI(
        title="Annuaire d'orientation Île-de-France",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        # Developer pages: off unless asked (API_DOCS=true); then served from our own files (web/).
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    app.state.server_secret = server_secret(settings)  # signs the chat cookie, keys the client hashes
    app.state.client_limiter = ClientLimiter(settings.rate_limit_storage_url, app.state.server_secret, rates(settings))
    app.add_middleware(
        Protection,
        limiter=app.state.client_limiter if settings.rate_limits_enabled else None,
        trusted_token=settings.directory_api_token.get_secret_value() if settings.directory_api_token else None,
    )
    # Built on the first request from the files the index is built from, then kept for the process.
    app.state.data_inclusion_export = exports.DataInclusionExport(settings.data_dir / "structures")
    app.state.export_cache = ExportCache()
    app.state.export_builder = ExportBuilder(settings)
    for module in (structures, places, categories, exports, usage, health):
        app.include_router(module.router)
    web.install(app, settings)
    return app


def make_service(settings: Settings, on_search: Callable[..., None] | None = None) -> DirectoryService:
    """The search service of a server process (and of its export builder, export_files.py)."""
    backend = settings.make_backend()
    if backend.health():
        backend.warm_up()
    return DirectoryService(
        backend=backend,
        gazetteer=Gazetteer.load(settings.data_dir / "places"),
        taxonomy=get_taxonomy(),
        stale_after_days=settings.stale_after_days,
        merged_into=merged_aliases(settings.data_dir / "structures"),
        on_search=on_search,
    )


def rates(settings: Settings) -> dict[str, str]:
    """The per-client rates: the policies', and the reports' from the settings."""
    report = f"{settings.reports_rate_limit}/{settings.reports_rate_window_s} seconds"
    return {kind: policy.rate for kind, policy in POLICIES.items()} | {"report": report}
