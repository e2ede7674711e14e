"""The list a social worker builds across several searches (« Ajouter à ma liste »), to print or
export at once. The list lives in the browser only (localStorage, `static/list.js`); the server sees
the ids in the address of `/liste?ids=…`, renders them and keeps nothing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from directory_api.api.csv_export import write_csv
from directory_api.api.schemas import StructureItem
from directory_api.api.search_service import DirectoryService
from directory_api.models import Structure
from directory_api.opening import parse_moment
from directory_api.search.backend import SearchHit
from directory_api.web import templates
from directory_api.web.search_page import markers, present, printed_at

router = APIRouter(include_in_schema=False)
MAX_LIST = 100
MAX_ID_LENGTH = 200


def listed(request: Request) -> list[tuple[StructureItem, Structure]]:
    """The places of `?ids=a,b,c`, in that order; unknown ids are skipped, merged ones followed."""
    service: DirectoryService = request.app.state.directory
    ids = [i for i in request.query_params.get("ids", "").split(",") if 0 < len(i) <= MAX_ID_LENGTH][:MAX_LIST]
    now = parse_moment(None)
    rows: dict[str, tuple[StructureItem, Structure]] = {}
    for structure_id in ids:
        structure = service.backend.get(service.merged_into.get(structure_id, structure_id))
        if structure is not None and structure.id not in rows:
            rows[structure.id] = (service.item(SearchHit(structure=structure, distance_m=None), now), structure)
    return list(rows.values())


@router.get("/liste", response_class=HTMLResponse)
def list_page(request: Request) -> HTMLResponse:
    service: DirectoryService = request.app.state.directory
    rows = listed(request)
    items = [item for item, _ in rows]
    context = {
        "page": "list",
        "results": [present(item, n, service.taxonomy) for n, item in enumerate(items, start=1)],
        "markers": markers(items, 1),
        "ids": ",".join(item.id for item in items),
        "printed_at": printed_at(),
    }
    return templates.TemplateResponse(request, "list.html", context)


@router.get("/liste.csv")
def list_csv(request: Request) -> Response:
    service: DirectoryService = request.app.state.directory
    content = write_csv(listed(request), service.taxonomy, str(request.base_url))
    return Response(
        content=content.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ma-liste.csv"'},
    )
