"""The web pages, served by the directory API: the search for social workers (`/`) and the chat for the
public (`/chat`). Server-rendered HTML (Jinja2) that works without JavaScript, improved by small scripts;
front-end libraries are vendored from npm at build time (`make web-assets`), never from a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.gzip import GZipMiddleware

from directory_api.settings import Settings
from directory_api.web.security import SecurityHeaders

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")  # autoescape is on for .html templates


def french_date(day: object) -> str:
    return day.strftime("%d/%m/%Y") if hasattr(day, "strftime") else str(day)


templates.env.filters["french_date"] = french_date


def install(app: FastAPI, settings: Settings) -> None:
    """Mounts the static files and the pages, and sets the security headers on every response."""
    app.add_middleware(SecurityHeaders, tiles_url=settings.tiles_url)
    # Compressed pages, styles and scripts (Leaflet: 148 kB → 43 kB) for phones on poor connections.
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    templates.env.globals["tiles_url"] = settings.tiles_url
    templates.env.globals["tiles_attribution"] = settings.tiles_attribution
    app.state.settings = settings
    # The page modules use `templates` above, hence the late import.
    from directory_api.web import chat, detail_page, list_page, reports, search_page, sources_page

    for module in (search_page, detail_page, list_page, reports, chat, sources_page):
        app.include_router(module.router)
    if settings.api_docs:
        app.add_api_route("/docs", api_docs, include_in_schema=False, response_class=HTMLResponse)


def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from the npm package (`make web-assets`), under the pages' own CSP: no CDN."""
    return templates.TemplateResponse(request, "api_docs.html", {})
