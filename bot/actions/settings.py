"""Where the action server finds the directory API and the web search (environment variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSettings:
    directory_api_url: str
    web_search_url: str
    timeout_s: float


def load_settings() -> ActionSettings:
    api = os.environ.get("DIRECTORY_API_URL", "http://127.0.0.1:8000").rstrip("/")
    return ActionSettings(
        directory_api_url=api,
        web_search_url=os.environ.get("WEB_SEARCH_URL", api + "/").rstrip("/") + "/",
        timeout_s=float(os.environ.get("DIRECTORY_API_TIMEOUT_S", "4")),
    )
