"""``flask clock due``: the due date on the last line; exit 2 for bad input."""

from __future__ import annotations

import pytest


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["clock", "due", *args])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["2024-09-03"], "2024-10-03"),
        (["2024-11-25"], "2024-12-27"),
        (["2025-01-31"], "2025-02-28"),
        (["2025-01-31", "--extended"], "2025-04-30"),
        (["2024-12-02", "--nation", "scotland"], "2025-01-03"),
        (["2025-02-17", "--nation", "northern-ireland"], "2025-03-18"),
        (["2024-09-03", "--identity-received", "2024-09-10"], "2024-10-10"),
        (
            ["2024-09-03", "--paused", "2024-09-05:2024-09-06", "--paused", "2024-09-10:2024-09-12"],
            "2024-10-08",
        ),
    ],
)
def test_clock_due_prints_the_due_date_last(app, args, expected):
    result = _run(app, *args)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == expected


def test_clock_due_explains_the_holidays_it_rolled_over(app):
    output = _run(app, "2024-11-25").output
    assert "start: 2024-11-25" in output and "Christmas Day" in output and "Boxing Day" in output


@pytest.mark.parametrize(
    "args",
    [
        ["2024-02-30"],
        ["yesterday"],
        ["2024-09-03", "--paused", "2024-09-10:2024-09-05"],
        ["2024-09-03", "--paused", "2024-09-10"],
        ["2024-09-03", "--identity-received", "soon"],
        ["2024-09-03", "--nation", "france"],
    ],
)
def test_clock_due_bad_input_exits_2_with_a_message(app, args):
    result = _run(app, *args)
    assert result.exit_code == 2
    assert "Error" in result.output
