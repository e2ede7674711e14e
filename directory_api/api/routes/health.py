from __future__ import annotations

from fastapi import APIRouter

from directory_api.api.dependencies import ServiceDep
from directory_api.api.schemas import Health

router = APIRouter(tags=["santé du service"])


@router.get("/health", response_model=Health, summary="État du service")
def health(service: ServiceDep) -> Health:
    """`ok` quand le moteur de recherche répond, avec le nombre de lieux indexés."""
    return Health(status="ok", backend=service.backend.name, structures=service.backend.count())
