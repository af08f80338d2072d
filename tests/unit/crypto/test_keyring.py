import base64
import os
import threading

import pytest
from flask import has_app_context

from app import create_app, crypto
from app.config import ConfigError, new_master_key_entry
from tests.conftest import environ_for_tests


def _entry(key_id: str, material: bytes) -> tuple[str, str]:
    encoded = base64.urlsafe_b64encode(material).decode()
    return f"{key_id}:{encoded}", encoded


def test_parse_makes_first_entry_active_and_keeps_the_rest():
    ring = crypto.Keyring.parse(",".join([new_master_key_entry("new"), new_master_key_entry("old")]))
    assert ring.active.key_id == "new"
    assert ring.key_ids == ("new", "old")
    assert "old" in ring and "other" not in ring


def test_parse_accepts_unpadded_base64_and_spaces_around_entries():
    entry, _ = _entry("k1", os.urandom(32))
    ring = crypto.Keyring.parse(f"  {entry.rstrip('=')} , {new_master_key_entry('k0')} ")
    assert ring.key_ids == ("k1", "k0")


@pytest.mark.parametrize(
    ("spec_for", "expected"),
    [
        (lambda good, _: "", "is empty"),
        (lambda good, _: "   ", "is empty"),
        (lambda good, secret: secret, "has no ':'"),
        (lambda good, secret: f"{good},", "entry 2 is empty"),
        (lambda good, secret: f"bad id!:{secret}", "key id must be"),
        (lambda good, secret: f"{'k' * 41}:{secret}", "key id must be"),
        (lambda good, secret: f"k2:{secret[:-2]}*!", "not URL-safe base64"),
        (lambda good, secret: f"k2:{secret.rstrip('=')}AA", "not valid URL-safe base64"),
        (lambda good, secret: f"k2:{base64.urlsafe_b64encode(b'x' * 16).decode()}", "16 bytes"),
        (lambda good, secret: f"k2:{base64.urlsafe_b64encode(b'x' * 33).decode()}", "33 bytes"),
        (lambda good, secret: f"{good},k1:{secret}", "'k1' appears twice"),
    ],
)
def test_parse_rejects_bad_keyring_without_revealing_key(spec_for, expected):
    good, _ = _entry("k1", os.urandom(32))
    secret = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with pytest.raises(ConfigError, match=expected) as caught:
        crypto.Keyring.parse(spec_for(good, secret))
    message = str(caught.value)
    assert "RIGHTSDESK_MASTER_KEYS" in message
    assert secret[:12] not in message
    assert good.split(":")[1][:12] not in message


def test_master_key_repr_hides_material():
    entry = new_master_key_entry("k1")
    ring = crypto.Keyring.parse(entry)
    assert entry.split(":")[1] not in repr(ring.active)
    assert repr(ring.active) == "MasterKey('k1')"


def test_create_app_fails_clearly_when_key_is_wrong_length(tmp_path):
    material = base64.urlsafe_b64encode(os.urandom(16)).decode()
    environ = environ_for_tests(
        f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path, RIGHTSDESK_MASTER_KEYS=f"k1:{material}"
    )
    with pytest.raises(ConfigError, match="16 bytes; it must be exactly 32") as caught:
        create_app(environ)
    assert material not in str(caught.value)


def test_create_app_fails_clearly_when_keyring_is_not_base64(tmp_path):
    environ = environ_for_tests(
        f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path, RIGHTSDESK_MASTER_KEYS="k1:not base64 at all"
    )
    with pytest.raises(ConfigError, match=r"entry 1 \(key id 'k1'\).*base64") as caught:
        create_app(environ)
    assert "not base64 at all" not in str(caught.value)


def test_init_app_stores_keyring_in_app_extensions(app):
    ring = app.extensions[crypto.EXTENSION_KEY]
    assert isinstance(ring, crypto.Keyring)
    assert crypto.current_keyring() is ring


def test_current_keyring_uses_module_default_outside_app_context(app):
    ring = app.extensions[crypto.EXTENSION_KEY]
    seen = {}

    def outside() -> None:
        # A new thread starts with no Flask context at all.
        seen["has_context"] = has_app_context()
        seen["ring"] = crypto.current_keyring()
        seen["opened"] = crypto.open_value(crypto.seal_value(b"no context", "bench.value"), "bench.value")

    worker = threading.Thread(target=outside)
    worker.start()
    worker.join()
    assert seen == {"has_context": False, "ring": ring, "opened": b"no context"}
