"""All configuration, read once from environment variables.

The README's configuration table lists every variable; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("da", "sv", "en")


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _rate(name: str, default: str) -> tuple[int, int]:
    """Parse ``N/minute``-style limits (or ``N/5 minutes``: a window of several units) into (count, seconds)."""
    raw = _env(name, default)
    count, _, window = raw.partition("/")
    units, _, unit = window.strip().rpartition(" ")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[unit.strip().removesuffix("s") or "minute"]
    return int(count), seconds * int(units or 1)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    base_url: str
    default_locale: str
    redis_url: str
    cookie_secure: bool
    # Municipality shown in the footer, the privacy notice and the accessibility statement.
    municipality_name: str
    municipality_email: str
    municipality_phone: str
    municipality_address: str
    accessibility_contact: str
    supervisory_authority: str
    # Mail.
    mail_backend: str
    mail_dir: Path
    mail_from: str
    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_starttls: bool
    smtp_timeout: int
    mail_max_attempts: int
    # Registration.
    registration_rate: tuple[int, int]
    api_rate: tuple[int, int]
    reminder_hours: int
    retention_days: int
    worker_interval: int
    # Where ``samrad serve`` listens, and how many server processes it starts.
    host: str = "127.0.0.1"
    port: int = 8000
    web_workers: int = 1
    # Participants' own input (``/j/{code}``) per client address.
    participant_input_rate: tuple[int, int] = (10, 60)
    # Organiser API writes per API token; how long the audit trail is kept.
    organiser_api_rate: tuple[int, int] = (60, 60)
    # Facilitators' capture through the API (the capture page's script), per API token or signed-in account:
    # generous, since a phone back online sends what it kept one entry at a time.
    capture_api_rate: tuple[int, int] = (300, 60)
    # Staff login attempts per client address, and per account whatever the address.
    login_rate: tuple[int, int] = (10, 300)
    login_account_rate: tuple[int, int] = (10, 900)
    audit_retention_days: int = 730
    # Access needs, diet and pronouns go this many days after the event, before the rest of a registration
    # (never later than the event's own retention); digest subscribers' addresses, this long after the event.
    retention_days_sensitive_fields: int = 7
    digest_retention_days: int = 730
    # Addresses or networks of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed
    # (uvicorn's ``forwarded_allow_ips``): the client address of rate limits comes from them, and only them.
    trusted_proxies: str = "127.0.0.1,::1"
    # Where the live wall's channels run: "memory" (one process), "redis" or "postgres" (shared by several
    # processes). Empty: redis when a Redis URL is set, else memory.
    channels: str = ""
    # Theme suggestions: a folder holding aligned multilingual word vectors (feedback/themes/vectors.py); empty: off.
    theme_vectors_dir: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return not self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("SAMRAD_DATA_DIR", str(ROOT / "data"))).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = _env("DATABASE_URL") or f"sqlite:///{data_dir / 'samrad.sqlite3'}"
        default_locale = _env("SAMRAD_DEFAULT_LOCALE", "da")
        if default_locale not in LOCALES:
            raise ValueError(f"SAMRAD_DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=_env("SAMRAD_SECRET_KEY") or _development_secret(data_dir),
            base_url=_env("SAMRAD_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            default_locale=default_locale,
            redis_url=_env("SAMRAD_REDIS_URL"),
            cookie_secure=_env_bool("SAMRAD_COOKIE_SECURE", _env("SAMRAD_BASE_URL").startswith("https://")),
            municipality_name=_env("SAMRAD_MUNICIPALITY_NAME", "Samråd Kommune"),
            municipality_email=_env("SAMRAD_MUNICIPALITY_EMAIL", "kontakt@kommune.example"),
            municipality_phone=_env("SAMRAD_MUNICIPALITY_PHONE", "+45 70 00 00 00"),
            municipality_address=_env("SAMRAD_MUNICIPALITY_ADDRESS", "Rådhuspladsen 1, 8900 Randers"),
            accessibility_contact=_env("SAMRAD_ACCESSIBILITY_CONTACT", "tilgaengelighed@kommune.example"),
            supervisory_authority=_env("SAMRAD_SUPERVISORY_AUTHORITY", "Datatilsynet, www.datatilsynet.dk"),
            mail_backend=_env("SAMRAD_MAIL_BACKEND", "file"),
            mail_dir=Path(_env("SAMRAD_MAIL_DIR", str(data_dir / "outbox"))),
            mail_from=_env("SAMRAD_MAIL_FROM", "Samråd <noreply@kommune.example>"),
            smtp_host=_env("SAMRAD_SMTP_HOST", "localhost"),
            smtp_port=_env_int("SAMRAD_SMTP_PORT", 25),
            smtp_username=_env("SAMRAD_SMTP_USERNAME"),
            smtp_password=_env("SAMRAD_SMTP_PASSWORD"),
            smtp_starttls=_env_bool("SAMRAD_SMTP_STARTTLS", False),
            smtp_timeout=_env_int("SAMRAD_SMTP_TIMEOUT", 10),
            mail_max_attempts=_env_int("SAMRAD_MAIL_MAX_ATTEMPTS", 12),
            registration_rate=_rate("SAMRAD_RATE_LIMIT_REGISTRATIONS", "10/minute"),
            api_rate=_rate("SAMRAD_RATE_LIMIT_API", "120/minute"),
            reminder_hours=_env_int("SAMRAD_REMINDER_HOURS", 24),
            retention_days=_env_int("SAMRAD_RETENTION_DAYS", 30),
            worker_interval=_env_int("SAMRAD_WORKER_INTERVAL", 5),
            host=_env("SAMRAD_HOST", "127.0.0.1"),
            port=_env_int("SAMRAD_PORT", 8000),
            web_workers=_env_int("SAMRAD_WEB_WORKERS", 1),
            participant_input_rate=_rate("SAMRAD_RATE_LIMIT_PARTICIPANT_INPUT", "10/minute"),
            organiser_api_rate=_rate("SAMRAD_RATE_LIMIT_ORGANISER_API", "60/minute"),
            capture_api_rate=_rate("SAMRAD_RATE_LIMIT_CAPTURE_API", "300/minute"),
            login_rate=_rate("SAMRAD_RATE_LIMIT_LOGIN", "10/5 minutes"),
            login_account_rate=_rate("SAMRAD_RATE_LIMIT_LOGIN_ACCOUNT", "10/15 minutes"),
            audit_retention_days=_env_int("SAMRAD_AUDIT_RETENTION_DAYS", 730),
            retention_days_sensitive_fields=_env_int("SAMRAD_RETENTION_DAYS_SENSITIVE_FIELDS", 7),
            digest_retention_days=_env_int("SAMRAD_DIGEST_RETENTION_DAYS", 730),
            trusted_proxies=_env("SAMRAD_TRUSTED_PROXIES", "127.0.0.1,::1"),
            channels=_channels_backend(_env("SAMRAD_CHANNELS").lower()),
            theme_vectors_dir=_env("SAMRAD_THEME_VECTORS_DIR"),
        )


def _channels_backend(raw: str) -> str:
    if raw not in {"", "memory", "redis", "postgres"}:
        raise ValueError("SAMRAD_CHANNELS must be memory, redis or postgres")
    return raw


def _development_secret(data_dir: Path) -> str:
    """A per-installation secret kept in the data folder, so development needs no configuration."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@cache
def get_settings() -> Settings:
    return Settings.from_env()
