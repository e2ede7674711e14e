"""Typed settings, from the environment (prefix-free names, as in the deployment docs)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from directory_api.search.backend import SearchBackend

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_index: str = "directory"  # the alias; versioned indices behind it
    elasticsearch_timeout_s: float = 2.0  # per request; the API answers 503 beyond it
    elasticsearch_retries: int = 1
    data_dir: Path = REPO_ROOT / "data"
    datasets_dir: Path = REPO_ROOT.parent / "shared" / "datasets"
    index_path: Path = REPO_ROOT / "var" / "directory.sqlite"
    host: str = "127.0.0.1"
    port: int = 8000
    # A record whose data is older than this is flagged as old in every answer.
    stale_after_days: int = 365

    def make_backend(self) -> SearchBackend:
        if self.search_backend == "elasticsearch":
            from directory_api.search.elastic import ElasticsearchBackend

            return ElasticsearchBackend(
                self.elasticsearch_url,
                self.elasticsearch_index,
                timeout_s=self.elasticsearch_timeout_s,
                retries=self.elasticsearch_retries,
            )
        from directory_api.search.embedded import EmbeddedBackend

        return EmbeddedBackend(self.index_path)
