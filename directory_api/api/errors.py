"""Errors in French: every 4xx names the field and, where there is a closed list, the allowed values."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from directory_api.api.search_service import UnknownPlaceError
from directory_api.search.backend import EngineUnavailableError
from directory_api.taxonomy import get_taxonomy

_MESSAGES = {
    "missing": "paramètre obligatoire manquant",
    "bool_parsing": "valeur booléenne attendue (true ou false)",
    "int_parsing": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "datetime_from_date_parsing": "date et heure ISO 8601 attendues (ex. 2026-11-22T20:00)",
    "datetime_parsing": "date et heure ISO 8601 attendues (ex. 2026-11-22T20:00)",
    "string_too_long": "texte trop long (au plus {max_length} caractères)",
    "string_pattern_mismatch": "format invalide",
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être inférieur à {lt}",
    "literal_error": "valeur non autorisée",
    "enum": "valeur non autorisée",
    "extra_forbidden": "paramètre inconnu",
    "finite_number": "nombre fini attendu",
    "too_long": "au plus {max_length} valeurs",
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body") and not isinstance(p, int)]
    return ".".join(parts) or "requête"


def _allowed(error: dict[str, Any], field: str) -> list[str] | None:
    ctx = error.get("ctx") or {}
    expected = ctx.get("expected")
    if expected:
        return [v.strip(" '\"") for v in str(expected).replace(" or ", ",").split(",") if v.strip(" '\"")]
    if field == "category" and error.get("type") == "value_error":
        return list(get_taxonomy().categories)
    return None


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "valeur invalide")))
    template = _MESSAGES.get(kind)
    if template:
        try:
            return template.format(**ctx)
        except (KeyError, IndexError):
            return template
    return "valeur invalide"


async def validation_handler(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        field = _field(tuple(error.get("loc", ())))
        entry: dict[str, Any] = {"field": field, "message": _message(error)}
        allowed = _allowed(error, field)
        if allowed:
            entry["allowed"] = allowed
        errors.append(entry)
    summary = "; ".join(f"{e['field']} : {e['message']}" for e in errors)
    return JSONResponse(status_code=422, content={"detail": f"Paramètres invalides — {summary}", "errors": errors})


async def unknown_place_handler(_: Request, exc: UnknownPlaceError) -> JSONResponse:
    message = f"lieu introuvable en Île-de-France : « {exc.args[0]} ». Essayez une commune, un code postal ou une gare."
    return JSONResponse(
        status_code=422,
        content={"detail": f"Paramètres invalides — place : {message}", "errors": [{"field": "place", "message": message}]},
    )


_HTTP_MESSAGES = {
    400: "Requête illisible.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée.",
    503: "Service momentanément indisponible.",
}
# Starlette's and FastAPI's own English messages, in French (found by the fuzzer: a body that is not JSON).
_FRAMEWORK_MESSAGES = {
    "Not Found": None,
    "Method Not Allowed": None,
    "There was an error parsing the body": "Corps de la requête illisible : du JSON valide (UTF-8) est attendu.",
}


async def http_handler(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail in _FRAMEWORK_MESSAGES:
        detail = _FRAMEWORK_MESSAGES[detail]
    return JSONResponse(
        status_code=exc.status_code,
        content={"detail": detail or _HTTP_MESSAGES.get(exc.status_code, "Erreur."), "errors": []},
        headers=getattr(exc, "headers", None),
    )


ENGINE_UNAVAILABLE = (
    "Le moteur de recherche est momentanément indisponible. Réessayez dans quelques instants ; "
    "en cas d'urgence, appelez le 115 (hébergement), le 15 (Samu) ou le 3919 (violences)."
)


async def engine_unavailable_handler(_: Request, exc: EngineUnavailableError) -> JSONResponse:
    # The exception text may hold engine internals: it is not shown, nor logged with the request.
    return JSONResponse(status_code=503, content={"detail": ENGINE_UNAVAILABLE, "errors": []}, headers={"Retry-After": "5"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(EngineUnavailableError, engine_unavailable_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(UnknownPlaceError, unknown_place_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_handler)  # type: ignore[arg-type]
