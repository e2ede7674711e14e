"""`/sources`: who produced the data, under which licence and of which date (ODbL asks for attribution)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from directory_api.fetch.status import FETCH_LABELS, source_statuses
from directory_api.importer import MERGE_REPORT
from directory_api.web import templates
from directory_api.web.search_page import sources_info

router = APIRouter(include_in_schema=False)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    structures = request.app.state.settings.data_dir / "structures"
    report = json.loads((structures / "import-report.json").read_text(encoding="utf-8"))
    merges = json.loads((structures / MERGE_REPORT).read_text(encoding="utf-8"))
    counts = report["sources"]
    statuses = source_statuses(structures, request.app.state.settings.fetch_dir)
    rows = [
        {"info": info, "entry": counts[info.id], "status": statuses[info.id], "fetch_label": FETCH_LABELS[statuses[info.id].fetch]}
        for info in sorted(sources_info().values(), key=lambda i: i.title)
        if info.id in counts
    ]
    context = {"page": "sources", "rows": rows, "records": merges["records_in"], "total": merges["structures_out"]}
    return templates.TemplateResponse(request, "sources.html", context)
