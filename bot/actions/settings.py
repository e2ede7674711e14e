"""Where the action server finds the directory API and the web search (environment variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSettings:
    directory_api_url: str
    web_search_url: str | None  # the web search page; no link is given until one is configured
    timeout_s: float
    # The directory's key (DIRECTORY_API_TOKEN): this server searches for everyone talking to the assistant,
    # from one address, so the API does not limit it per client.
    directory_api_token: str | None = None


def load_settings() -> ActionSettings:
    web = os.environ.get("WEB_SEARCH_URL", "").strip()
    return ActionSettings(
        directory_api_url=os.environ.get("DIRECTORY_API_URL", "http://127.0.0.1:8000").rstrip("/"),
        web_search_url=web.rstrip("/") + "/" if web else None,
        timeout_s=float(os.environ.get("DIRECTORY_API_TIMEOUT_S", "4")),
        directory_api_token=os.environ.get("DIRECTORY_API_TOKEN") or None,
    )
