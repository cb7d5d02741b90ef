"""Settings from the environment, every one prefixed LMS_."""

from __future__ import annotations

import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration of one process; see the README for every variable."""

    model_config = SettingsConfigDict(env_prefix="LMS_", extra="ignore")

    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Where the embedded database and keys live.")
    database_url: str = ""
    secret_key: str = ""
    token_ttl_minutes: int = 60 * 8
    # Signed-in browsers (server-side sessions): ended after this long without a request, and this long after
    # sign-in whatever happens.
    session_idle_minutes: int = Field(default=30, gt=0)
    session_absolute_hours: int = Field(default=8, gt=0)
    # A caller (an account, a page session) read from the database is kept this long in the process, so that their
    # next reads need no query (app/web/callers.py); 0 keeps nothing. Another process sees a deactivation, a
    # password change or a sign-out at most this much later; this one sees it at once.
    caller_cache_seconds: float = Field(default=5, ge=0, le=60)
    # Login limits (docs/operations.md, Security): per (email, address) pair, growing delays after a few failures;
    # per address, a cap on failures in a window.
    login_failures_before_delay: int = Field(default=5, gt=0)
    login_first_delay_seconds: int = Field(default=60, gt=0)
    login_max_delay_minutes: int = Field(default=60, gt=0)
    login_pair_memory_hours: int = Field(default=24, gt=0)
    login_max_failures_per_address: int = Field(default=30, gt=0)
    login_window_minutes: int = Field(default=15, gt=0)
    # A one-time password-reset link an admin makes holds this long (and only until it is used).
    password_reset_hours: int = Field(default=24, gt=0)
    # A liaison keeps seeing an official (and their enrolments, transcript, certificates) for this many days
    # after the official's last appointment in the liaison's authority ended; then the official is out of sight.
    liaison_grace_days: int = Field(default=90, ge=0)
    upload_max_bytes: int = 5 * 1024 * 1024
    # A document filed to the knowledge centre: refused (413) past this many bytes.
    knowledge_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # Any other request body: refused (413) past this many bytes, before it is read and before sign-in.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    xlsx_max_uncompressed_bytes: int = 50 * 1024 * 1024
    timezone: str = "Asia/Jerusalem"
    # An approved extension moves the due date in force at most this many calendar months later.
    max_extension_months: int = Field(default=12, gt=0)
    # Reminders (docs/rules.md, rule 9): months before a requirement's due date (largest first), every how many
    # months while it is overdue, and how many days late a reminder missed by a stopped worker may still go.
    reminder_months_before: str = "6,3,1"
    reminder_overdue_every_months: int = Field(default=1, gt=0)
    reminder_grace_days: int = Field(default=14, ge=0)
    sql_echo: bool = False
    # Database connections each process keeps open, and how many more it may open for a while under load. A request
    # holds one from its first query to its commit, and a process serves up to 40 at once (its worker threads):
    # a pool smaller than the requests in flight opens and closes a connection on every request past it.
    db_pool_size: int = Field(default=20, gt=0)
    db_max_overflow: int = Field(default=20, ge=0)
    # Certificates: where the public verification page lives (in the QR code and the signed credential),
    # where rendered PDFs and signing keys are kept, and the task queue that renders them in bulk.
    public_base_url: str = "http://localhost:8000"
    certificates_dir: Path | None = Field(default=None, description="Rendered certificate PDFs; var_dir/certificates.")
    signing_keys_dir: Path | None = Field(default=None, description="Ed25519 signing keys; var_dir/keys.")
    queue_url: str = Field(default="", description="redis://... for Redis; empty: a SQLite queue file in var_dir.")
    queue_immediate: bool = False
    verify_max_per_minute: int = 30
    redis_url: str = Field(
        default="", description="Redis shared by the app processes (verification limits); empty: each process alone."
    )
    # Email (docs/operations.md, Email): the SMTP server the worker sends the outbox through; no host, nothing is
    # sent (the messages stay queued, and the outbox page says so). Security: starttls, tls (from the first byte)
    # or none.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "lms@school.example"
    smtp_timeout_seconds: int = Field(default=30, gt=0)
    # At most this many messages a minute leave through the server (0: no limit).
    smtp_rate_per_minute: int = Field(default=120, ge=0)
    # A message that failed is tried again after the first delay, doubled at each failure up to the cap, and given
    # up after this many tries; a worker holds a message it is sending this long (past it, another takes it over).
    outbox_max_attempts: int = Field(default=8, gt=0)
    outbox_retry_seconds: int = Field(default=60, gt=0)
    outbox_retry_max_seconds: int = Field(default=6 * 3600, gt=0)
    outbox_claim_seconds: int = Field(default=300, gt=0)
    outbox_batch_size: int = Field(default=200, gt=0)
    school_name_he: str = "בית הספר הארצי לבכירים ברשויות המקומיות"
    school_name_en: str = "The National School for Senior Officials of Local Authorities"
    # The accessibility statement (/accessibility): the accessibility coordinator's contact, and the date of the
    # last accessibility check of the pages.
    accessibility_coordinator_name: str = "רכז/ת הנגישות של בית הספר"
    accessibility_coordinator_email: str = "accessibility@school.example"
    accessibility_coordinator_phone: str = "03-0000000"
    accessibility_checked_on: date = date(2026, 12, 1)

    def secure_cookies(self) -> bool:
        """Whether cookies are marked Secure (sent over HTTPS only): when the public address is https."""
        return self.public_base_url.lower().startswith("https://")

    def resolved_database_url(self) -> str:
        """The configured database, or the embedded SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.var_dir / 'lms.db'}"

    def resolved_certificates_dir(self) -> Path:
        """Where rendered certificate PDFs are stored."""
        return self.certificates_dir or self.var_dir / "certificates"

    def resolved_signing_keys_dir(self) -> Path:
        """Where the Ed25519 keys that sign credentials are kept (generated there on first use)."""
        return self.signing_keys_dir or self.var_dir / "keys"

    def resolved_secret_key(self) -> str:
        """The token signing secret: LMS_SECRET_KEY, or one kept in var_dir so all local processes share it (read
        from the file once per process: every request checks a token with it)."""
        if self.secret_key:
            return self.secret_key
        return _secret_in(self.var_dir)


@lru_cache
def _secret_in(var_dir: Path) -> str:
    """The secret kept in var_dir, made there the first time."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
