"""Settings read from the environment (HEARTLINE_ prefix) or a .env file."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob Heartline reads; each maps to HEARTLINE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="HEARTLINE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    secret_key: str | None = Field(
        default=None, description="Signs session cookies; generated into data_dir if unset."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # The neural engine is the default; "lexicon" (VADER) is the fast fallback.
    emotion_engine: Literal["neural", "lexicon"] = "neural"
    # inline: stages run in the same process right after the commit (embedded default).
    # celery: stages are queued to Celery workers (scale-out).
    pipeline_runner: Literal["inline", "celery"] = "inline"
    broker_url: str = "redis://127.0.0.1:6379/0"
    # Bulk endpoints cap a request so one call cannot hold a transaction for minutes.
    bulk_max_items: int = 1000
    session_max_age_s: int = 12 * 3600
    cookie_secure: bool = False
    timezone: str = "UTC"

    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'heartline.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in data_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
