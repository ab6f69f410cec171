"""Settings read from the environment (HEARTLINE_ prefix) or a .env file."""

from __future__ import annotations

import os
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
    # Where customers reach this server (links in emails: the privacy notice and choices).
    public_url: str = "http://127.0.0.1:8000"
    port: int = 8000
    # The neural engine is the default; "lexicon" (VADER) is the fast fallback.
    emotion_engine: Literal["neural", "lexicon"] = "neural"
    # inline: stages run in the same process right after the commit (embedded default).
    # celery: stages are queued to Celery workers (scale-out).
    pipeline_runner: Literal["inline", "celery"] = "inline"
    broker_url: str = "redis://127.0.0.1:6379/0"
    # The Celery queue pipeline tasks go to and workers read (`celery ... worker -Q <name>`);
    # a separate name keeps one deployment's (or one test run's) work apart on a shared broker.
    pipeline_queue: str = "celery"
    # History imports (help-desk importers, `heartline model rescore`) on the celery runner split
    # each batch into this many pipeline tasks by customer, so workers score them in parallel
    # while one customer's messages stay in one task, in order.
    history_partitions: int = Field(default=4, ge=1, le=64)
    # Bulk endpoints cap a request so one call cannot hold a transaction for minutes.
    bulk_max_items: int = 1000
    # Larger request bodies are refused with a 413 (a 1,000-item bulk call is about 1-5 MB).
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # A browser session ends after this long without a request (idle) ...
    session_max_age_s: int = Field(default=4 * 3600, ge=60)
    # ... and, however busy, this long after sign-in (absolute lifetime).
    session_absolute_s: int = Field(default=12 * 3600, ge=60)
    # Secure session cookie; unset means on unless the server listens on localhost only.
    cookie_secure: bool | None = None
    timezone: str = "UTC"
    # Raw message text older than this many days is blanked (readings stay); unset keeps it.
    retention_days: int | None = Field(default=None, ge=1)
    # Emotional memory: a reading's weight halves every this many days (mood profile, baseline).
    mood_half_life_days: float = Field(default=14.0, gt=0)
    # Routing rules YAML; unset means the shipped defaults (routing/default_rules.yaml).
    routing_rules_path: Path | None = None

    # --- playbooks and delivery (playbooks/, channels/) ---
    # SMTP: with no smtp_host, email goes to .eml files under data_dir/outbox (dev sink).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Heartline <no-reply@heartline.local>"
    smtp_starttls: bool = False
    smtp_timeout_s: float = 15.0
    # Inbound mail (mailbox/): connected IMAP mailboxes are read every mail_poll_interval_s
    # (0 = only by `heartline mailbox poll`); attachments over the limit keep only their details.
    mail_poll_interval_s: float = Field(default=60.0, ge=0)
    mail_attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    mail_timeout_s: float = Field(default=30.0, gt=0)
    # Twilio-style SMS/WhatsApp provider; with no base url, texts go to a file sink.
    sms_provider_url: str | None = None
    sms_account_sid: str | None = None
    sms_auth_token: str | None = None
    sms_from: str = "+10000000000"
    whatsapp_from: str | None = None
    # WhatsApp Business Cloud API (channels/whatsapp.py): used for WhatsApp instead of the
    # Twilio-style path when the phone number id and token are set; the app secret checks
    # webhook signatures, the verify token answers Meta's subscription handshake.
    whatsapp_phone_number_id: str | None = None
    whatsapp_token: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"
    # Signed outbound webhooks (HMAC-SHA256 of "timestamp.body").
    webhook_url: str | None = None
    # Signs outbound webhooks; generated into data_dir if unset (never the session secret).
    webhook_secret: str | None = None
    # Internal hosts webhooks may reach (comma-separated host names, addresses or CIDR
    # networks); every other private, loopback or link-local target is refused.
    webhook_allow_hosts: str = ""
    # Preferred channel per region where the customer has no preference, e.g. {"BR": "whatsapp"}.
    channel_region_defaults: dict[str, str] = Field(default_factory=dict)
    # Quiet hours in the customer's own zone: [start, end) local hours, wrapping midnight.
    quiet_hours_start: int = Field(default=21, ge=0, le=23)
    quiet_hours_end: int = Field(default=8, ge=0, le=23)
    # At most this many messages per customer in any rolling window of frequency_cap_days,
    # and at most promotional_cap promotional ones.
    frequency_cap_messages: int = Field(default=3, ge=1)
    promotional_cap: int = Field(default=1, ge=0)
    frequency_cap_days: int = Field(default=7, ge=1)
    outbox_max_attempts: int = Field(default=6, ge=1)
    # In-process scheduler for time-based playbooks (embedded default); 0 disables it.
    scheduler_interval_s: int = Field(default=3600, ge=0)
    # Recovery (pipeline/recovery.py): every this many seconds, messages stored but still
    # unscored after recovery_after_s go through the pipeline again; 0 disables it.
    recovery_interval_s: int = Field(default=120, ge=0)
    recovery_after_s: int = Field(default=300, ge=1)

    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'heartline.db').resolve()}"

    def secure_cookies(self) -> bool:
        """cookie_secure, defaulting to on for anything but a loopback listener."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.host not in ("127.0.0.1", "localhost", "::1")

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in data_dir."""
        return self.secret_key or self._kept_secret("secret_key")

    def resolved_webhook_secret(self) -> str:
        """The webhook signing secret: configured, or generated once into data_dir."""
        return self.webhook_secret or self._kept_secret("webhook_secret")

    def webhook_allow_list(self) -> list[str]:
        """webhook_allow_hosts as a list."""
        return [h.strip() for h in self.webhook_allow_hosts.split(",") if h.strip()]

    def _kept_secret(self, name: str) -> str:
        path = self.data_dir / name
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:  # created owner-only from the start, and never over a concurrent writer's
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
