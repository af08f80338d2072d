from app.cases.references import DUPLICATE_KEY_INFO
from app.crypto import secret_derived_key
from app.intake.codes import HKDF_INFO


def test_secret_derived_key_differs_per_purpose_and_per_secret():
    duplicate = secret_derived_key("secret", DUPLICATE_KEY_INFO)
    code = secret_derived_key("secret", HKDF_INFO)
    assert len(duplicate) == len(code) == 32
    assert duplicate != code
    assert secret_derived_key("other", HKDF_INFO) != code
    assert secret_derived_key(b"secret", HKDF_INFO) == code
    assert b"secret" not in duplicate + code
