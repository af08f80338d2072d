"""Email confirmation codes: issue, check every outcome, resend cooldown."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from app.intake import codes
from app.intake.codes import (
    CODE_LIFETIME,
    MAX_ATTEMPTS,
    CodeCheck,
    CodeState,
    can_resend,
    check_code,
    derive_code_key,
    issue_code,
    seconds_until_resend,
)

KEY = derive_code_key("test-secret")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_issue_code_gives_six_digits_and_stores_only_an_hmac():
    code, state = issue_code(NOW, key=KEY)
    assert len(code) == 6 and code.isdigit()
    assert code not in state.digest
    assert state.digest == hmac.new(KEY, code.encode(), hashlib.sha256).hexdigest()
    assert state.issued_at == NOW and state.attempts == 0
    assert state.expires_at == NOW + timedelta(minutes=30)


def test_issue_code_differs_each_time():
    assert len({issue_code(NOW, key=KEY)[0] for _ in range(20)}) > 1


def test_derive_code_key_depends_on_the_secret_and_is_not_the_secret():
    assert derive_code_key("a") != derive_code_key("b")
    assert derive_code_key("a") == derive_code_key(b"a")
    assert len(KEY) == 32 and b"test-secret" not in KEY


def test_issue_code_refuses_naive_datetime():
    with pytest.raises(ValueError, match="naive"):
        issue_code(datetime(2026, 3, 2, 9, 0), key=KEY)


def test_check_code_ok_when_right_and_in_time():
    code, state = issue_code(NOW, key=KEY)
    result = check_code(state, code, NOW + timedelta(minutes=29), key=KEY)
    assert result.outcome is CodeCheck.OK and result.state.attempts == 0


def test_check_code_ok_when_typed_with_spaces_or_dash():
    code, state = issue_code(NOW, key=KEY)
    assert check_code(state, f" {code[:3]} {code[3:]} ", NOW, key=KEY).outcome is CodeCheck.OK
    assert check_code(state, f"{code[:3]}-{code[3:]}", NOW, key=KEY).outcome is CodeCheck.OK


def test_check_code_wrong_counts_an_attempt():
    code, state = issue_code(NOW, key=KEY)
    result = check_code(state, _wrong(code), NOW, key=KEY)
    assert result.outcome is CodeCheck.WRONG and result.state.attempts == 1


@pytest.mark.parametrize(
    "typed", ["", "12345", "1234567", "abcdef", "\uff11\uff12\uff13\uff14\uff15\uff16", "x" * 10_000]
)
def test_check_code_wrong_when_not_six_digits(typed):
    _code, state = issue_code(NOW, key=KEY)
    result = check_code(state, typed, NOW, key=KEY)
    assert result.outcome is CodeCheck.WRONG and result.state.attempts == 1


def test_check_code_expired_after_thirty_minutes_even_if_right():
    code, state = issue_code(NOW, key=KEY)
    result = check_code(state, code, NOW + CODE_LIFETIME, key=KEY)
    assert result.outcome is CodeCheck.EXPIRED and result.state == state


def test_check_code_too_many_attempts_on_the_fifth_wrong_code():
    code, state = issue_code(NOW, key=KEY)
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        outcome, state = check_code(state, _wrong(code), NOW, key=KEY)
        outcomes.append(outcome)
    assert outcomes == [CodeCheck.WRONG] * (MAX_ATTEMPTS - 1) + [CodeCheck.TOO_MANY_ATTEMPTS]
    assert state.attempts == MAX_ATTEMPTS


def test_check_code_too_many_attempts_refuses_even_the_right_code():
    code, state = issue_code(NOW, key=KEY)
    used_up = CodeState(state.digest, state.issued_at, attempts=MAX_ATTEMPTS)
    result = check_code(used_up, code, NOW, key=KEY)
    assert result.outcome is CodeCheck.TOO_MANY_ATTEMPTS and result.state.attempts == MAX_ATTEMPTS


def test_check_code_wrong_with_another_key():
    code, state = issue_code(NOW, key=KEY)
    assert check_code(state, code, NOW, key=derive_code_key("other")).outcome is CodeCheck.WRONG


def test_check_code_uses_compare_digest_for_every_comparison(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(codes.hmac, "compare_digest", spy)
    code, state = issue_code(NOW, key=KEY)
    check_code(state, code, NOW, key=KEY)
    check_code(state, "1", NOW, key=KEY)  # a short input is still compared, digest against digest
    check_code(state, "ü" * 7, NOW, key=KEY)  # non-ASCII: compared as an empty digest
    assert len(calls) == 3
    assert calls[0] == calls[1] == (64, 64)


def test_check_code_uses_the_app_secret_by_default(app):
    code, state = issue_code(NOW)
    assert check_code(state, code, NOW).outcome is CodeCheck.OK
    assert state.digest == codes._digest(derive_code_key(app.config["SECRET_KEY"]), code)


def test_can_resend_only_after_the_cooldown():
    _code, state = issue_code(NOW, key=KEY)
    assert not can_resend(state, NOW + timedelta(seconds=59))
    assert seconds_until_resend(state, NOW + timedelta(seconds=59.5)) == 1
    assert can_resend(state, NOW + timedelta(seconds=60))
    assert seconds_until_resend(state, NOW + timedelta(seconds=60)) == 0


def test_can_resend_when_no_code_was_sent():
    assert can_resend(None, NOW) and seconds_until_resend(None, NOW) == 0
