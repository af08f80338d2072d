"""The dashboard and the request register (ICO accountability records)."""

from __future__ import annotations

import re
from datetime import date

from flask import Response, render_template, request

from app.accounts import web
from app.cases.models import CaseStatus, RequestType
from app.console.cases import signed_in_user
from app.console.views import bp
from app.db import utcnow
from app.reports import charts
from app.reports.export import register_csv
from app.reports.services import Filters, dashboard, request_register

STATUS_OPTIONS = [("", "Any status")] + [(s.value, s.value.replace("_", " ")) for s in CaseStatus]
TYPE_OPTIONS = [("", "Any type")] + [(t.value, t.value.replace("_", " ")) for t in RequestType]
ON_TIME_OPTIONS = [("", "Any"), ("yes", "On time"), ("no", "Late")]


@bp.get("/dashboard")
@web.login_required
def dashboard_page():
    today = utcnow().date()
    figures = dashboard(signed_in_user(), today)
    status_chart = charts.horizontal_bars(
        [charts.Bar(status.replace("_", " "), count, str(count)) for status, count in figures.open_by_status]
    )
    rate_chart = charts.column_bars(
        [
            charts.Bar(
                # "Dec \N{RIGHT SINGLE QUOTATION MARK}25": a month, where "Dec 25" read as a date.
                month.month.strftime("%b \N{RIGHT SINGLE QUOTATION MARK}%y"),
                month.rate or 0.0,
                f"{month.rate:.0%}" if month.rate is not None else "",
            )
            for month in figures.on_time_by_month
        ]
    )
    return render_template(
        "console/reports/dashboard.html",
        figures=figures,
        status_chart=status_chart,
        rate_chart=rate_chart,
        today=today,
    )


_UK_DAY = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")


def typed_day(raw: str) -> date | None:
    """A day as people in the UK type it (1/9/2026, 01-09-2026) or as ISO
    (2026-09-01); None when it is not a real date."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    found = _UK_DAY.match(raw)
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _filters() -> tuple[Filters, list[tuple[str, str]]]:
    """The register's filters from the query string, with a message for each
    value that makes no sense (the filter is then ignored, never a 500)."""
    args, errors = request.args, []
    values: dict[str, object] = {}
    if status := args.get("status"):
        try:
            values["status"] = CaseStatus(status)
        except ValueError:
            errors.append(("status", "Choose a status from the list"))
    if kind := args.get("type"):
        try:
            values["request_type"] = RequestType(kind)
        except ValueError:
            errors.append(("type", "Choose a request type from the list"))
    for name, key in (("from", "received_from"), ("to", "received_to")):
        if raw := args.get(name, "").strip():
            day = typed_day(raw)
            if day is None:
                errors.append((name, "Enter a real date, like 1/9/2026 or 2026-09-01"))
            else:
                values[key] = day
    if (
        values.get("received_from")
        and values.get("received_to")
        and values["received_to"] < values["received_from"]
    ):
        errors.append(("to", "The 'to' date must be the same as or after the 'from' date"))
    if (on_time := args.get("on_time")) in ("yes", "no"):
        values["on_time"] = on_time == "yes"
    elif on_time:
        errors.append(("on_time", "Choose on time or late"))
    return Filters(**values), errors  # type: ignore[arg-type]


@bp.get("/requests")
@web.login_required
def request_register_page():
    filters, errors = _filters()
    rows = request_register(signed_in_user(), filters)
    if request.args.get("format") == "csv" and not errors:
        stamp = utcnow().strftime("%Y-%m-%d")
        return Response(
            register_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="request-register-{stamp}.csv"'},
        )
    return render_template(
        "console/reports/register.html",
        rows=rows,
        args=request.args,
        errors=errors,
        error_fields={field for field, _ in errors},
        status_options=STATUS_OPTIONS,
        type_options=TYPE_OPTIONS,
        on_time_options=ON_TIME_OPTIONS,
    ), (422 if errors else 200)
