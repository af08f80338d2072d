"""Settings, read from the environment only.

Production refuses to start when a secret is missing; development generates
the missing secrets once into ``instance/`` so a newcomer needs no set-up.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "testing", "production")
DEFAULT_ENV = "production"
# The company that runs Rights Desk for its customer schools, as the response
# pack names it: the processor holding the data on the controller's behalf.
DEFAULT_PROCESSOR = (
    "The Publishing Foundry (the Tiny Tracker service), a limited company registered in England and "
    "Wales, company number 04712375, Unit 26 Priory Tec Park, Saxon Way, Hessle HU13 9PB"
)
MAX_PROCESSOR = 300


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot be used."""


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    secret_key: str
    master_keys: str
    redis_url: str | None = None
    smtp_url: str | None = None
    mail_sender: str = "Rights Desk <rights-desk@localhost>"
    # The public address links in emails are built on; never the request's
    # Host header, which the sender of the request chooses.
    base_url: str = "http://127.0.0.1:5000"
    # Where reminders for unassigned cases go; MAIL_SENDER when unset.
    dpo_mailbox: str | None = None
    # Reverse proxies in front of the app whose X-Forwarded-* headers are
    # trusted (client IPs for rate limits, the scheme). 0 trusts none.
    proxy_hops: int = 0
    # Days after a case closes that its response pack stays readable; then
    # the pack's data keys are destroyed (crypto-shredding).
    pack_retention_days: int = 30
    # Years after a case closes that its record is kept whole; then it is
    # reduced to what accountability needs (app.cases.record_retention).
    case_record_retention_years: int = 6
    # Days a delivered email stays in the outbox (app.mail.retention).
    sent_mail_retention_days: int = 90
    # Days after an answer that a case with nothing since closes by itself
    # (app.cases.auto_close).
    auto_close_days: int = 30
    processor: str = DEFAULT_PROCESSOR
    instance_path: Path = field(default_factory=lambda: Path("instance"))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def flask_config(self) -> dict[str, object]:
        return {
            "RIGHTSDESK_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "RIGHTSDESK_MASTER_KEYS": self.master_keys,
            "REDIS_URL": self.redis_url,
            "SMTP_URL": self.smtp_url,
            "MAIL_SENDER": self.mail_sender,
            "TESTING": self.env == "testing",
            "SESSION_COOKIE_SECURE": self.is_production,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
            "RIGHTSDESK_BASE_URL": self.base_url,
            "DPO_MAILBOX": self.dpo_mailbox,
            "RIGHTSDESK_PACK_RETENTION_DAYS": self.pack_retention_days,
            "RIGHTSDESK_CASE_RECORD_RETENTION_YEARS": self.case_record_retention_years,
            "RIGHTSDESK_SENT_MAIL_RETENTION_DAYS": self.sent_mail_retention_days,
            "RIGHTSDESK_AUTO_CLOSE_DAYS": self.auto_close_days,
            "RIGHTSDESK_PROCESSOR": self.processor,
            "PREFERRED_URL_SCHEME": urlsplit(self.base_url).scheme,
            # Requests naming another host are refused (400) in production, so
            # no URL is ever built on a forged Host header.
            "TRUSTED_HOSTS": [urlsplit(self.base_url).hostname] if self.is_production else None,
        }


def engine_options(database_url: str) -> dict[str, object]:
    if database_url.startswith("sqlite"):
        # Inline jobs run in the request thread; give concurrent writers time.
        return {"connect_args": {"timeout": 30}}
    # Pooled connections are checked before use only after sitting idle
    # (``app.dbpool``), not with a round trip on every checkout.
    return {}


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(environ: Mapping[str, str] | None = None, instance_path: Path | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = environ.get("RIGHTSDESK_ENV", DEFAULT_ENV).strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"RIGHTSDESK_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env!r}.")
    instance = Path(instance_path or environ.get("RIGHTSDESK_INSTANCE", "instance")).resolve()

    values = {name: (environ.get(name) or "").strip() for name in _VARIABLES}
    if values["RIGHTSDESK_BASE_URL"]:
        _check_base_url(values["RIGHTSDESK_BASE_URL"])
    if env == "production":
        missing = [name for name in _REQUIRED_IN_PRODUCTION if not values[name]]
        if missing:
            raise ConfigError(
                "Rights Desk will not start in production without: "
                + ", ".join(missing)
                + ". Set them in the environment (see README, Configuration)."
            )
    else:
        if not values["DATABASE_URL"]:
            instance.mkdir(parents=True, exist_ok=True)
            values["DATABASE_URL"] = f"sqlite:///{instance / 'rightsdesk.sqlite'}"
        if not values["SECRET_KEY"]:
            values["SECRET_KEY"] = _instance_secret(instance, "secret_key", _new_secret_key)
        if not values["RIGHTSDESK_MASTER_KEYS"]:
            values["RIGHTSDESK_MASTER_KEYS"] = _instance_secret(instance, "master_keys", new_master_key_entry)

    return Settings(
        env=env,
        database_url=normalise_database_url(values["DATABASE_URL"]),
        secret_key=values["SECRET_KEY"],
        master_keys=values["RIGHTSDESK_MASTER_KEYS"],
        redis_url=values["REDIS_URL"] or None,
        smtp_url=values["SMTP_URL"] or None,
        mail_sender=environ.get("MAIL_SENDER") or Settings.mail_sender,
        dpo_mailbox=(environ.get("DPO_MAILBOX") or "").strip() or None,
        proxy_hops=_proxy_hops(environ.get("RIGHTSDESK_PROXY_HOPS", "0")),
        pack_retention_days=_whole(environ, "RIGHTSDESK_PACK_RETENTION_DAYS", 30, 3650, "days"),
        case_record_retention_years=_whole(
            environ, "RIGHTSDESK_CASE_RECORD_RETENTION_YEARS", 6, 100, "years"
        ),
        sent_mail_retention_days=_whole(environ, "RIGHTSDESK_SENT_MAIL_RETENTION_DAYS", 90, 3650, "days"),
        auto_close_days=_whole(environ, "RIGHTSDESK_AUTO_CLOSE_DAYS", 30, 3650, "days"),
        processor=_processor(environ.get("RIGHTSDESK_PROCESSOR")),
        instance_path=instance,
        base_url=(values["RIGHTSDESK_BASE_URL"] or _DEFAULT_BASE_URL[env]).rstrip("/"),
    )


def _processor(value: str | None) -> str:
    text = " ".join((value or "").split())
    if len(text) > MAX_PROCESSOR:
        raise ConfigError(f"RIGHTSDESK_PROCESSOR: at most {MAX_PROCESSOR} characters, not {len(text)}.")
    return text or DEFAULT_PROCESSOR


def _proxy_hops(value: str) -> int:
    try:
        hops = int(value.strip() or "0")
    except ValueError:
        hops = -1
    if not 0 <= hops <= 5:
        raise ConfigError(f"RIGHTSDESK_PROXY_HOPS must be a whole number from 0 to 5; got {value!r}")
    return hops


def _whole(environ: Mapping[str, str], name: str, default: int, most: int, unit: str) -> int:
    value = environ.get(name, str(default))
    try:
        number = int(value.strip() or "0")
    except ValueError:
        number = 0
    if not 1 <= number <= most:
        raise ConfigError(f"{name} must be a whole number of {unit} from 1 to {most}; got {value!r}")
    return number


def _check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError(
            "RIGHTSDESK_BASE_URL must be the service's public origin, "
            f"like https://rights.example.org; got {url!r}"
        )


_VARIABLES = (
    "DATABASE_URL",
    "SECRET_KEY",
    "RIGHTSDESK_MASTER_KEYS",
    "REDIS_URL",
    "SMTP_URL",
    "RIGHTSDESK_BASE_URL",
)
# Production has no default (it is required); the test client's host is localhost.
_DEFAULT_BASE_URL = {"development": "http://127.0.0.1:5000", "testing": "http://localhost", "production": ""}
_REQUIRED_IN_PRODUCTION = ("DATABASE_URL", "SECRET_KEY", "RIGHTSDESK_MASTER_KEYS", "RIGHTSDESK_BASE_URL")


def _new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def new_master_key_entry(key_id: str | None = None) -> str:
    """One keyring entry, ``<key id>:<base64 of 32 random bytes>``."""
    key_id = key_id or "k" + secrets.token_hex(4)
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def _instance_secret(instance: Path, name: str, make) -> str:
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = make()
    # Created with owner-only permissions: this is key material.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
