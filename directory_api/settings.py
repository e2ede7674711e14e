"""Typed settings, from the environment (prefix-free names, as in the deployment docs)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    search_backend: Literal["embedded"] = "embedded"
    data_dir: Path = REPO_ROOT / "data"
    datasets_dir: Path = REPO_ROOT.parent / "shared" / "datasets"
    index_path: Path = REPO_ROOT / "var" / "directory.sqlite"
    host: str = "127.0.0.1"
    port: int = 8000
    # A record whose data is older than this is flagged as old in every answer.
    stale_after_days: int = 365
