"""`GET /`: the search page for social workers and the public.

Server-rendered: the filters are a plain GET form whose parameters are exactly those of `/structures`,
so the page URL is the query (shareable, bookmarkable, and passed unchanged to the CSV / GeoJSON
exports). The results come from the same `DirectoryService` the API uses; no search logic here.
`search.js` and `map.js` only add autocomplete, geolocation and the map.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from directory_api.api.errors import ENGINE_UNAVAILABLE, _field, _message
from directory_api.api.parameters import StructureFilters, StructureSearchParams
from directory_api.api.schemas import SearchResponse, StructureItem
from directory_api.api.search_service import DirectoryService, UnknownPlaceError
from directory_api.labels import GENDER_LABELS
from directory_api.models import Structure
from directory_api.opening import parse_moment
from directory_api.search.backend import EngineUnavailableError
from directory_api.sources import all_sources
from directory_api.sources.base import SourceInfo
from directory_api.taxonomy import Taxonomy
from directory_api.web import templates

router = APIRouter(include_in_schema=False)

SEARCH_FIELDS = tuple(StructureSearchParams.model_fields)
EXPORT_FIELDS = tuple(StructureFilters.model_fields)
PAGING_FIELDS = ("page", "size", "sort")

# French names of the parameters, for error messages (the parameter itself is shown too).
FIELD_LABELS = {
    "q": "Besoin",
    "category": "Catégorie",
    "place": "Lieu",
    "lat": "Latitude",
    "lon": "Longitude",
    "radius_km": "Rayon",
    "open_now": "Ouvert maintenant",
    "open_at": "Ouvert à",
    "free": "Gratuit",
    "anonymous": "Anonyme",
    "age": "Âge",
    "gender": "Public",
    "pmr": "Accès en fauteuil roulant",
    "language": "Langue parlée",
    "department": "Département",
    "sort": "Tri",
    "page": "Page",
    "size": "Résultats par page",
}

RADII = ("1", "2", "5", "10", "20", "50")
LANGUAGES = {
    "en": "anglais", "ar": "arabe", "bn": "bengali", "zh": "chinois", "es": "espagnol", "fa": "persan (farsi)",
    "ps": "pachto", "pt": "portugais", "ro": "roumain", "ru": "russe", "so": "somali", "ta": "tamoul",
    "ti": "tigrigna", "tr": "turc", "uk": "ukrainien", "wo": "wolof",
}
DEPARTMENTS = {
    "75": "Paris (75)", "77": "Seine-et-Marne (77)", "78": "Yvelines (78)", "91": "Essonne (91)",
    "92": "Hauts-de-Seine (92)", "93": "Seine-Saint-Denis (93)", "94": "Val-de-Marne (94)", "95": "Val-d'Oise (95)",
}


def read_params(query: QueryParams) -> dict[str, Any]:
    """The known parameters of the URL, empty ones left out (an empty form field means « any »)."""
    raw: dict[str, Any] = {}
    for key in SEARCH_FIELDS:
        if key == "category":
            values = [v.strip() for v in query.getlist(key) if v.strip()]
            if values:
                raw[key] = values
        else:
            value = query.get(key, "").strip()
            if value:
                raw[key] = value
    return raw


# The criteria of the form, as a social worker reads them on a printed list.
CHECKED_CRITERIA = {
    "open_now": "ouverts maintenant", "free": "gratuits", "anonymous": "anonymes",
    "pmr": "accessibles en fauteuil roulant", "strict": "seulement les fiches qui le confirment",
}  # fmt: skip


def criteria_summary(raw: dict[str, Any], taxonomy: Taxonomy) -> list[str]:
    """The filters of a search in French (« gratuits », « 16 ans », « langue : arabe »)."""
    parts = [label for name, label in CHECKED_CRITERIA.items() if raw.get(name) == "true"]
    if raw.get("category"):
        parts.append("catégorie : " + ", ".join(taxonomy[c].label if c in taxonomy else c for c in raw["category"]))
    if raw.get("open_at"):
        parts.append(f"ouverts le {raw['open_at'].replace('T', ' à ')}")
    if raw.get("age"):
        parts.append(f"{raw['age']} ans")
    if raw.get("gender") in GENDER_LABELS:
        parts.append(GENDER_LABELS[raw["gender"]])
    if raw.get("language"):
        parts.append("langue : " + LANGUAGES.get(raw["language"], raw["language"]))
    if raw.get("department"):
        parts.append(DEPARTMENTS.get(raw["department"], raw["department"]))
    return parts


def printed_at() -> str:
    """Now, Paris time, as a printed list says it (« 07/12/2026 à 05h44 »)."""
    return parse_moment(None).strftime("%d/%m/%Y à %Hh%M")


def back_to_results(query: QueryParams) -> str:
    """The search a place page was opened from (`?recherche=`), as a link back with its filters; only
    the search's own parameters are kept, so the link never leaves the page."""
    raw = read_params(QueryParams(query.get("recherche", "")))
    return "/?" + query_string(raw, SEARCH_FIELDS) if raw else "/"


def exported(raw: dict[str, Any], result: SearchResponse) -> dict[str, Any]:
    """The search the export links repeat: the places shown, so the help offered instead of a need
    without places (`query.nearby_help`) rather than that empty need."""
    if not result.query.nearby_help:
        return raw
    return {**{k: v for k, v in raw.items() if k not in ("q", "category")}, "category": result.query.nearby_help}


def query_string(raw: dict[str, Any], fields: tuple[str, ...], **overrides: Any) -> str:
    values = {k: v for k, v in raw.items() if k in fields}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return urlencode(values, doseq=True)


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors in French, with the field's French name, as the API words them."""
    errors = []
    for error in exc.errors():
        field = _field(tuple(error.get("loc", ())))
        label = FIELD_LABELS.get(field)
        name = f"{label} ({field})" if label else "Filtres"
        errors.append({"field": field if label else "", "text": f"{name} : {_message(error)}"})
    return errors


@cache
def sources_info() -> dict[str, SourceInfo]:
    return {module.INFO.id: module.INFO for module in all_sources()}


def category_options(taxonomy: Taxonomy) -> list[tuple[str, str, int]]:
    """(id, label, depth) in tree order; a category under two parents is listed once."""
    seen: set[str] = set()
    options: list[tuple[str, str, int]] = []

    def walk(cid: str, depth: int) -> None:
        if cid in seen:
            return
        seen.add(cid)
        options.append((cid, taxonomy[cid].label, depth))
        for child in taxonomy.children(cid):
            walk(child, depth + 1)

    for root in taxonomy.roots:
        walk(root, 0)
    return options


def distance_label(distance_m: float | None, *, approximate: bool = False) -> str | None:
    if distance_m is None:
        return None
    if approximate:
        # Placed at the commune's centre: a distance in metres would be a false precision (« à 0 m »).
        return "dans la commune" if distance_m < 1000 else f"à environ {max(1, round(distance_m / 1000))} km"
    if distance_m < 1000:
        return f"à {max(10, round(distance_m / 10) * 10)} m"
    return f"à {distance_m / 1000:.1f} km".replace(".", ",")


def directions_url(item: StructureItem | Structure) -> str:
    # An OpenStreetMap directions link rather than `geo:`: it works on office PCs (where `geo:` does
    # nothing without a handler) as well as on phones, needs no account and carries no tracker.
    return f"https://www.openstreetmap.org/directions?to={item.lat:.6f}%2C{item.lon:.6f}"


def tel_href(phone: str) -> str:
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def present(item: StructureItem, number: int, taxonomy: Taxonomy) -> dict[str, Any]:
    info = sources_info()
    return {
        "item": item,
        "number": number,
        "distance": distance_label(item.distance_m, approximate=item.location_precision == "commune"),
        "directions": directions_url(item),
        "phones": [(phone, tel_href(phone)) for phone in item.phones],
        "categories": [taxonomy[c].label for c in item.categories if c in taxonomy],
        "sources": [
            {
                "title": info[p.source].title if p.source in info else p.source,
                "licence": p.licence,
                "licence_url": info[p.source].licence_url if p.source in info else None,
                "data_date": p.data_date,
            }
            for p in item.sources
        ],
    }


def markers(items: list[StructureItem], first_number: int) -> list[dict[str, Any]]:
    """What the map needs, passed as a JSON block (not executed; `tojson` escapes <, > and &)."""
    return [
        {
            "id": item.id,
            "n": first_number + i,
            "name": item.name,
            "lat": item.lat,
            "lon": item.lon,
            "approx": item.location_precision == "commune",
            "opening": item.opening.label,
        }
        for i, item in enumerate(items)
    ]


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    service: DirectoryService = request.app.state.directory
    raw = read_params(request.query_params)
    context: dict[str, Any] = {
        "page": "search",
        "form": raw,
        "categories": category_options(service.taxonomy),
        "radii": RADII,
        "languages": LANGUAGES,
        "departments": DEPARTMENTS,
        "searched": bool(set(raw) - set(PAGING_FIELDS)),
        "errors": [],
        "candidates": [],
        "result": None,
    }
    status = 200
    if context["searched"]:
        status = _search(service, raw, context)
    return templates.TemplateResponse(request, "search.html", context, status_code=status)


def _search(service: DirectoryService, raw: dict[str, Any], context: dict[str, Any]) -> int:
    try:
        params = StructureSearchParams.model_validate(raw)
    except ValidationError as exc:
        context["errors"] = field_errors(exc)
        return 422
    try:
        result: SearchResponse = service.search(params)
    except UnknownPlaceError:
        place = params.place or ""
        context["errors"] = [{
            "field": "place",
            "text": f"Lieu (place) : nous ne trouvons pas « {place} » en Île-de-France, ou ce nom désigne "
            "plusieurs lieux. Précisez une commune, un code postal, un arrondissement ou une gare.",
        }]
        context["candidates"] = [
            {"label": p.label, "href": "/?" + query_string(raw, SEARCH_FIELDS, place=p.label, page=None)}
            for p in service.gazetteer.search(place, limit=5)
        ]
        return 422
    except EngineUnavailableError:
        context["errors"] = [{"field": "", "text": ENGINE_UNAVAILABLE}]
        return 503
    first = (params.page - 1) * params.size + 1
    pages = max(1, -(-result.total // params.size))
    taxonomy = service.taxonomy
    if result.total == 0 and result.query.lat is not None:
        # « Essayez un rayon plus grand » is advice only when there is something further away.
        anywhere = params.model_copy(update={"place": None, "lat": None, "lon": None, "radius_km": None, "page": 1})
        context["elsewhere_total"] = service.total(anywhere)
    context.update(
        result=result,
        results=[present(item, first + i, taxonomy) for i, item in enumerate(result.items)],
        markers=markers(result.items, first),
        center=(
            {"lat": result.query.lat, "lon": result.query.lon, "radius_km": result.query.radius_km}
            if result.query.lat is not None
            else None
        ),
        understood=[taxonomy[c].label for c in result.query.text_categories if c in taxonomy],
        missing_needs=[taxonomy[c].label for c in [*result.query.categories, *result.query.text_categories]],
        helping=[taxonomy[c].label for c in result.query.nearby_help],
        first=first,
        last=first + len(result.items) - 1,
        current_page=params.page,
        pages=pages,
        previous_href="/?" + query_string(raw, SEARCH_FIELDS, page=params.page - 1) if params.page > 1 else None,
        next_href="/?" + query_string(raw, SEARCH_FIELDS, page=params.page + 1) if params.page < pages else None,
        export_query=query_string(exported(raw, result), EXPORT_FIELDS),
        back_query=query_string(raw, SEARCH_FIELDS),
        criteria=criteria_summary(raw, taxonomy),
        printed_at=printed_at(),
    )
    return 200
