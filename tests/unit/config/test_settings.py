import stat

import pytest

from app import create_app
from app.config import ConfigError, load_settings, new_master_key_entry


def test_production_refuses_to_start_naming_every_missing_secret(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        load_settings({"RIGHTSDESK_ENV": "production"}, instance_path=tmp_path)
    message = str(excinfo.value)
    for name in ("DATABASE_URL", "SECRET_KEY", "RIGHTSDESK_MASTER_KEYS", "RIGHTSDESK_BASE_URL"):
        assert name in message


def test_production_is_the_default_environment(tmp_path):
    with pytest.raises(ConfigError, match="production"):
        load_settings({}, instance_path=tmp_path)


def test_production_never_falls_back_to_generated_secrets(tmp_path):
    environ = {"RIGHTSDESK_ENV": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x" * 40}
    with pytest.raises(ConfigError, match="RIGHTSDESK_MASTER_KEYS"):
        load_settings(environ, instance_path=tmp_path)
    assert not (tmp_path / "master_keys").exists()


def test_production_starts_when_everything_is_set(tmp_path):
    settings = load_settings(
        {
            "RIGHTSDESK_ENV": "production",
            "DATABASE_URL": "postgres://db.internal/rights",
            "SECRET_KEY": "s" * 48,
            "RIGHTSDESK_MASTER_KEYS": new_master_key_entry("k1"),
            "RIGHTSDESK_BASE_URL": "https://rights.example.org/",
        },
        instance_path=tmp_path,
    )
    assert settings.database_url == "postgresql+psycopg://db.internal/rights"
    flask_config = settings.flask_config()
    assert flask_config["SESSION_COOKIE_SECURE"] is True
    assert flask_config["RIGHTSDESK_BASE_URL"] == "https://rights.example.org"
    assert flask_config["TRUSTED_HOSTS"] == ["rights.example.org"]


@pytest.mark.parametrize("url", ["rights.example.org", "ftp://x.org", "https://x.org/path", "https://"])
def test_base_url_must_be_an_origin(tmp_path, url):
    with pytest.raises(ConfigError, match="RIGHTSDESK_BASE_URL"):
        load_settings({"RIGHTSDESK_ENV": "development", "RIGHTSDESK_BASE_URL": url}, instance_path=tmp_path)


def test_development_generates_secrets_once_into_instance(tmp_path):
    first = load_settings({"RIGHTSDESK_ENV": "development"}, instance_path=tmp_path)
    second = load_settings({"RIGHTSDESK_ENV": "development"}, instance_path=tmp_path)
    assert first.secret_key == second.secret_key
    assert first.master_keys == second.master_keys
    assert first.database_url.startswith("sqlite:///")
    mode = stat.S_IMODE((tmp_path / "master_keys").stat().st_mode)
    assert mode == 0o600


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="RIGHTSDESK_ENV"):
        load_settings({"RIGHTSDESK_ENV": "staging"}, instance_path=tmp_path)


def test_create_app_refuses_a_malformed_master_key(tmp_path):
    environ = {
        "RIGHTSDESK_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
        "SECRET_KEY": "s" * 48,
        "RIGHTSDESK_MASTER_KEYS": "k1:not-a-key",
        "RIGHTSDESK_BASE_URL": "https://rights.example.org",
        "RIGHTSDESK_INSTANCE": str(tmp_path),
    }
    with pytest.raises(ConfigError, match="RIGHTSDESK_MASTER_KEYS") as excinfo:
        create_app(environ)
    assert "not-a-key" not in str(excinfo.value)


def test_proxy_hops_trust_the_forwarded_client_address(tmp_path):
    from tests.conftest import environ_for_tests

    environ = environ_for_tests(f"sqlite:///{tmp_path / 'p.sqlite'}", tmp_path, RIGHTSDESK_PROXY_HOPS="1")
    app = create_app(environ)

    @app.get("/whoami")
    def whoami():
        from flask import request

        return request.remote_addr or ""

    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.text == "203.0.113.7"


def test_proxy_hops_must_be_a_small_number(tmp_path):
    with pytest.raises(ConfigError, match="RIGHTSDESK_PROXY_HOPS"):
        load_settings(
            {"RIGHTSDESK_ENV": "development", "RIGHTSDESK_PROXY_HOPS": "many"}, instance_path=tmp_path
        )


RETENTION_SETTINGS = [
    # variable, attribute, default, a custom value, bad values, the range in the message
    ("RIGHTSDESK_PACK_RETENTION_DAYS", "pack_retention_days", 30, 90, ["0", "-3", "a month", "99999"],
     "days from 1 to 3650"),
    ("RIGHTSDESK_CASE_RECORD_RETENTION_YEARS", "case_record_retention_years", 6, 10, ["0", "six", "101"],
     "years from 1 to 100"),
    ("RIGHTSDESK_SENT_MAIL_RETENTION_DAYS", "sent_mail_retention_days", 90, 30, ["0", "3651", "3 months"],
     "days from 1 to 3650"),
    ("RIGHTSDESK_AUTO_CLOSE_DAYS", "auto_close_days", 30, 60, ["0", "3651", "a month"],
     "days from 1 to 3650"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "attribute", "default", "custom", "_bad", "_range"), RETENTION_SETTINGS)
def test_retention_periods_default_and_from_the_environment(
    tmp_path, name, attribute, default, custom, _bad, _range
):
    base = {"RIGHTSDESK_ENV": "development"}
    assert load_settings(base, instance_path=tmp_path).flask_config()[name] == default
    assert getattr(load_settings({**base, name: str(custom)}, instance_path=tmp_path), attribute) == custom


@pytest.mark.parametrize(
    ("name", "value", "whole_range"),
    [
        (name, value, whole_range)
        for name, _a, _d, _c, bad, whole_range in RETENTION_SETTINGS
        for value in bad
    ],
)
def test_retention_periods_must_be_sensible(tmp_path, name, value, whole_range):
    with pytest.raises(ConfigError, match=f"{name} must be a whole number of {whole_range}; got"):
        load_settings({"RIGHTSDESK_ENV": "development", name: value}, instance_path=tmp_path)


def test_the_processor_named_in_packs_defaults_to_the_company_and_can_be_set(tmp_path):
    base = {"RIGHTSDESK_ENV": "development"}
    default = load_settings(base, instance_path=tmp_path).flask_config()["RIGHTSDESK_PROCESSOR"]
    assert default.startswith("The Publishing Foundry") and "04712375" in default
    spaced = {**base, "RIGHTSDESK_PROCESSOR": "  Example   Software Ltd "}
    custom = load_settings(spaced, instance_path=tmp_path)
    assert custom.processor == "Example Software Ltd"
    with pytest.raises(ConfigError, match="RIGHTSDESK_PROCESSOR"):
        load_settings({**base, "RIGHTSDESK_PROCESSOR": "x" * 301}, instance_path=tmp_path)
