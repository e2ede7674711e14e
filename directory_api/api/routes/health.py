from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from directory_api.api.dependencies import ServiceDep
from directory_api.api.schemas import Health
from directory_api.fetch.status import source_statuses
from directory_api.search.backend import EngineUnavailableError

router = APIRouter(tags=["santé du service"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "Le moteur de recherche ne répond pas."}},
    summary="État du service",
)
def health(service: ServiceDep, request: Request) -> Health | JSONResponse:
    """`ok` quand le moteur de recherche répond, avec le nombre de lieux indexés ; sinon 503 et
    `degraded` (le service revient de lui-même quand le moteur répond à nouveau). `sources` dit, pour
    chaque source, la date de ses données et le dernier téléchargement réussi chez son éditeur."""
    settings = request.app.state.settings
    sources = source_statuses(settings.data_dir / "structures", settings.fetch_dir)
    backend = service.backend
    try:
        if backend.health():
            return Health(status="ok", backend=backend.name, engine="up", structures=backend.count(), sources=sources)
    except EngineUnavailableError:
        pass
    down = Health(status="degraded", backend=backend.name, engine="down", structures=None, sources=sources)
    return JSONResponse(status_code=503, content=down.model_dump())
