"""Security headers on every response.

Pages get a Content Security Policy without 'unsafe-inline': scripts and styles come only from our own
`/static`, images also from the configured tile server. Names and descriptions come from outside, so a
script that slipped through escaping still would not run. The JSON API gets the same headers with
nothing allowed at all. /docs (only with API_DOCS=true) is Swagger UI from our own files, under the same
page policy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp


def tiles_origin(tiles_url: str) -> str:
    parts = urlsplit(tiles_url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def page_policy(tiles_url: str) -> str:
    origin = tiles_origin(tiles_url)
    images = f"'self' data: {origin}".strip()
    if "{s}" in tiles_url:  # subdomains a, b, c of a tile server
        parts = urlsplit(tiles_url)
        images += f" {parts.scheme}://*.{parts.netloc.split('.', 1)[1]}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


API_POLICY = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, tiles_url: str) -> None:
        super().__init__(app)
        self.page_policy = page_policy(tiles_url)

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        is_page = response.headers.get("content-type", "").startswith("text/html")
        headers.setdefault("Content-Security-Policy", self.page_policy if is_page else API_POLICY)
        return response
