"""`/sources`: who produced the data, under which licence and of which date (ODbL asks for attribution)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from directory_api.sources import all_sources
from directory_api.web import templates

router = APIRouter(include_in_schema=False)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    settings = request.app.state.settings
    report = json.loads((settings.data_dir / "structures" / "import-report.json").read_text(encoding="utf-8"))
    counts = report["sources"]
    rows = [
        {"info": module.INFO, "entry": counts[module.INFO.id]}
        for module in sorted(all_sources(), key=lambda m: m.INFO.title)
        if module.INFO.id in counts
    ]
    return templates.TemplateResponse(request, "sources.html", {"page": "sources", "rows": rows, "total": report["structures"]})
