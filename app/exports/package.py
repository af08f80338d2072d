"""The machine-readable copy (DESIGN §7): one zip holding the whole pack as
JSON, one CSV per category and a manifest of SHA-256 digests.

Everything is built in memory from a ``PackContent`` and handed to
``store_blob`` as bytes: the clear text never touches the disk. The zip is
deterministic (fixed entry order, timestamps, permissions and compression),
so the same content always gives the same bytes, and a rebuild that
discloses nothing new can be recognised by its digest.

Layout::

    manifest.json          every other file with its size and SHA-256
    README.txt             what the files are, in plain words
    response.json          the whole pack (``content_as_json``), with schema_version
    csv/<source>-<category>.csv
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.exports.content import PackContent, content_as_json

JSON_NAME = "response.json"
MANIFEST_NAME = "manifest.json"
README_NAME = "README.txt"
CSV_FOLDER = "csv"
MANIFEST_VERSION = 1
# Excel reads a CSV as the local code page unless it starts with a BOM, so
# accented names ("Núñez") would arrive garbled in the schools that open these.
CSV_ENCODING = "utf-8-sig"
# Cells a spreadsheet would run as a formula (OWASP "CSV injection"): a leading
# = + - @, or a tab/CR/LF that some spreadsheets skip before looking again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Fixed metadata for every entry: the zip must not depend on the clock,
# the umask or the platform it was built on.
_FILE_MODE = 0o100644 << 16
_COMPRESS_LEVEL = 9
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
# Columns every row starts with, so rows can be traced back to the pack's items.
_ITEM_COLUMNS = ("item_key", "title", "occurred_on", "redacted")
ATTENDANCE = "attendance"
_DAYS = ("mon", "tue", "wed", "thu", "fri")
SESSION_COLUMNS = tuple(f"{day}_{half}" for day in _DAYS for half in ("am", "pm"))


@dataclass(frozen=True, slots=True)
class PackageFile:
    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


def neutralise(value: str) -> str:
    """A cell value a spreadsheet shows as text: formula-like starts get a
    leading apostrophe, which Excel and LibreOffice hide and never evaluate.
    (A negative number written as text, "-3", becomes "'-3": the price of
    never running a formula.)"""
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    # Only lists of records reach here (see _flatten): as JSON text, since
    # columns "recipients.0.email", "recipients.1.email" help nobody.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted columns ("address.postcode"); lists of
    plain values become one cell joined with "; "; lists of objects stay a
    list (written as JSON text) unless the caller expands them into rows."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
            flat[name] = "; ".join(_cell(v) for v in value)
        else:
            flat[name] = value
    return flat


def _record_lists(data: dict[str, Any]) -> list[str]:
    return [
        key
        for key, value in data.items()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ]


def _item_rows(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per item; except that an item which is only a container for
    one list of records (a year of assessments, a year of access-log
    entries, a pupil's contacts) gives one row per record, the item's other
    fields repeated. A spreadsheet user sorts and filters records, not the
    store's yearly bundles; ``item_key`` ties every row back to its item.
    Items holding two or more such lists (a message's recipients and the
    people it names) stay one row, the lists as JSON text."""
    head = {
        "item_key": item["key"],
        "title": item["title"],
        "occurred_on": item["occurred_on"],
        "redacted": item["redacted"],
    }
    data = item["data"]
    lists = _record_lists(data)
    if len(lists) != 1:
        yield {**head, **_flatten(data)}
        return
    (name,) = lists
    shared = _flatten({key: value for key, value in data.items() if key != name})
    for record in data[name]:
        yield {**head, **shared, **_flatten(record, f"{name}.")}


def _attendance_rows(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per week, one column per session (Monday AM to Friday PM):
    the school's own register grid, the shape the PDF shows too. A row per
    session (380 a year) would need a pivot table before anyone could see a
    week; a week a row can be read, filtered by code and counted as it is.
    The year's totals and the meaning of each code are in response.json."""
    data = item["data"]
    for week in data.get("weeks", []):
        sessions = list(week.get("sessions", []))
        sessions += [""] * (len(SESSION_COLUMNS) - len(sessions))
        yield {
            "item_key": item["key"],
            "pupil_id": data.get("pupil_id"),
            "academic_year": data.get("academic_year"),
            "week_start": week.get("week_start"),
            **dict(zip(SESSION_COLUMNS, sessions, strict=False)),
        }


def category_csv(category: str, items: Iterable[dict[str, Any]]) -> bytes:
    """The CSV of one category: a header row, then its rows, every cell
    neutralised against formula injection."""
    rows: list[dict[str, Any]] = []
    for item in items:
        rows.extend(_attendance_rows(item) if category == ATTENDANCE else _item_rows(item))
    columns: dict[str, None] = {}  # first-seen order, deterministic for the same content
    if category != ATTENDANCE:
        columns.update(dict.fromkeys(_ITEM_COLUMNS))
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in columns])
    for row in rows:
        writer.writerow([neutralise(_cell(row.get(name))) for name in columns])
    return buffer.getvalue().encode(CSV_ENCODING)


def csv_name(source: str, category: str) -> str:
    return f"{CSV_FOLDER}/{source}-{category}.csv"


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _readme(content: PackContent, csv_names: list[str]) -> bytes:
    lines = [
        f"Response to data protection request {content.reference}",
        f"Prepared for {content.organisation_name} on {content.generated_at:%Y-%m-%d}.",
        "",
        f"{JSON_NAME}: everything in the response, in one JSON document "
        f"(schema_version {content.schema_version}).",
        "csv/: the same information as spreadsheets, one file per kind of record.",
        "  Attendance has one row per week, one column per morning (am) and afternoon (pm) session.",
        "  Cells that start with = + - or @ have a ' added in front, so spreadsheets show them as text.",
        f"{MANIFEST_NAME}: the size and SHA-256 digest of every file, to check nothing was changed.",
        *_portability_lines(content),
        "",
        "Files:",
        *(f"  {name}" for name in [JSON_NAME, *csv_names]),
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _portability_lines(content: PackContent) -> list[str]:
    """A portability request's files hold only the data that right covers:
    the README says so, and where the rest is listed."""
    if content.request_type != "portability":
        return []
    lines = [
        "",
        "This is the answer to a data portability request (UK GDPR Article 20): the files hold the",
        "personal data the person gave, used on their consent or under a contract with them.",
    ]
    if content.not_portable:
        lines.append(
            f"Data the right does not cover is listed, with the reason, under not_portable in {JSON_NAME}"
        )
        lines.append("and in the letter; it can be asked for as a subject access request.")
    return lines


def package_files(content: PackContent) -> list[PackageFile]:
    """Every file of the zip, manifest last, in the zip's order."""
    document = content_as_json(content)
    files = [PackageFile(JSON_NAME, _json_bytes(document))]
    csv_names = []
    for section in document["sections"]:
        name = csv_name(section["source"], section["category"])
        csv_names.append(name)
        files.append(PackageFile(name, category_csv(section["category"], section["items"])))
    files.insert(0, PackageFile(README_NAME, _readme(content, csv_names)))
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "schema_version": content.schema_version,
        "reference": content.reference,
        "generated_at": document["generated_at"],
        "algorithm": "sha256",
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files],
    }
    files.append(PackageFile(MANIFEST_NAME, _json_bytes(manifest)))
    return files


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    # The pack's own generation time (UTC), so the date shown by an unzip
    # tool means something yet stays the same for the same content.
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return max(stamp, _ZIP_EPOCH)


def build_zip(content: PackContent) -> bytes:
    """The machine-readable copy as zip bytes (deterministic for the same content)."""
    when = _zip_time(content.generated_at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in package_files(content):
            info = zipfile.ZipInfo(file.name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever builds it, so the mode below is read as such
            info.external_attr = _FILE_MODE
            archive.writestr(info, file.data, compresslevel=_COMPRESS_LEVEL)
    return buffer.getvalue()
