"""Typed settings, from the environment (prefix-free names, as in the deployment docs)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from directory_api.search.backend import SearchBackend

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    # One URL, or the nodes of a cluster comma-separated: a request to a node that is down goes to another.
    elasticsearch_url: str = Field("http://127.0.0.1:9200", pattern=r"^\s*https?://[^\s,]+(\s*,\s*https?://[^\s,]+)*\s*$")
    elasticsearch_index: str = "directory"  # the alias; versioned indices behind it
    elasticsearch_timeout_s: float = 2.0  # per request; the API answers 503 beyond it
    elasticsearch_retries: int = Field(1, ge=0)  # after a refused connection (a timeout too, if another node exists)
    elasticsearch_replicas: int = Field(0, ge=0)  # copies of each shard on other nodes, when an index is built
    # Credentials only from the environment (never committed): an API key, or user:password in the URL.
    elasticsearch_api_key: SecretStr | None = None
    data_dir: Path = REPO_ROOT / "data"
    datasets_dir: Path = REPO_ROOT.parent / "shared" / "datasets"
    index_path: Path = REPO_ROOT / "var" / "directory.sqlite"
    # `directory fetch`: raw downloads, staged files and state (fetch/runner.py). FETCH_MIRROR sends every
    # publisher URL to a mirror (an internal proxy; the tests' publisher server): https://host/p → {mirror}/host/p.
    fetch_dir: Path = REPO_ROOT / "var" / "fetch"
    fetch_mirror: str | None = Field(None, pattern=r"^https?://\S+$")
    # The data·inclusion API (structures and services of DORA, Soliguide…): only with the operator's token,
    # from the environment, never from a file of the repository (sources/data_inclusion_idf.py).
    data_inclusion_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    web_concurrency: int = 1  # server processes (searches are CPU-bound: one process per core)
    # A record whose data is older than this is flagged as old in every answer.
    stale_after_days: int = 365
    # `directory import`: a source losing more than this share of its structures at once keeps its
    # previous data (a broken export is likelier than a real closure of a fifth of the places).
    import_max_loss: float = Field(0.2, ge=0.0, le=1.0)
    # The web pages. Map tiles come from this URL (the page stays usable when they do not load).
    tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tiles_attribution: str = "© les contributeurs d'OpenStreetMap"
    # The Rasa server the chat page talks to, through the API's proxy (the browser sees one origin).
    assistant_url: str = "http://127.0.0.1:5005"
    assistant_timeout_s: float = 10.0
    # « Signaler une erreur » : reports kept for review in this SQLite file (only what the reporter typed
    # and a timestamp), at most `reports_rate_limit` per client in `reports_rate_window_s` (counted in the same file, so shared by the server processes).
    reports_path: Path = REPO_ROOT / "var" / "reports.sqlite"
    reports_rate_limit: int = Field(5, ge=1)
    reports_rate_window_s: int = Field(600, ge=1)
    # Reports are deleted this many days after they arrive (the review has long been done by then).
    reports_retention_days: int = Field(180, ge=1)
    # Bearer token of `GET /reports` (the review list); without one, the list does not exist (404).
    # At least 32 characters: it guards what people typed, contacts included.
    reports_review_token: SecretStr | None = Field(None, min_length=32)
    # Usage counters (`GET /usage`): searches per need, département and hour only, in this SQLite file
    # shared by the server processes (directory_api/usage.py says what is never kept).
    usage_enabled: bool = True
    usage_path: Path = REPO_ROOT / "var" / "usage.sqlite"

    # Protection (api/protection.py). The reverse proxies whose X-Forwarded-For is believed (addresses,
    # comma-separated, or « * »); none by default, so that nobody can choose the address they are counted under.
    forwarded_allow_ips: str = ""
    rate_limits_enabled: bool = True
    # Where the per-client counts live: None for a SQLite file beside the reports (the processes of one
    # machine), or a redis:// URL shared by several machines.
    rate_limit_storage: str | None = Field(None, pattern=r"^(redis|rediss|sqlite)://")
    # The directory's key for the assistant's action server (header X-Directory-Token): it searches for
    # everybody talking to the assistant, so it is not limited per client.
    directory_api_token: SecretStr | None = Field(None, min_length=32)
    # Signs the chat cookie and keys client hashes (server_secret.py); drawn into `secret_path` if unset.
    secret_key: SecretStr | None = Field(None, min_length=32)
    secret_path: Path = REPO_ROOT / "var" / "secret.key"
    # /docs and /redoc (Swagger UI, ReDoc): off unless asked; the OpenAPI document stays at /openapi.json.
    api_docs: bool = False

    @property
    def rate_limit_storage_url(self) -> str:
        return self.rate_limit_storage or f"sqlite:///{self.reports_path.parent / 'limits.sqlite'}"

    @field_validator("elasticsearch_api_key", "reports_review_token", "directory_api_token", "secret_key", "data_inclusion_token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def make_backend(self) -> SearchBackend:
        if self.search_backend == "elasticsearch":
            from directory_api.search.elastic import ElasticsearchBackend

            return ElasticsearchBackend(
                self.elasticsearch_url,
                self.elasticsearch_index,
                timeout_s=self.elasticsearch_timeout_s,
                retries=self.elasticsearch_retries,
                replicas=self.elasticsearch_replicas,
                api_key=self.elasticsearch_api_key.get_secret_value() if self.elasticsearch_api_key else None,
            )
        from directory_api.search.embedded import EmbeddedBackend

        return EmbeddedBackend(self.index_path)

    @property
    def import_datasets_dir(self) -> Path:
        """What `directory import` reads: the last fetched versions when `directory fetch` ran, else the staged copies."""
        fetched = self.fetch_dir / "datasets"
        return fetched if fetched.is_dir() else self.datasets_dir
