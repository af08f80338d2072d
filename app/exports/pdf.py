"""Printed documents: the response pack PDF and the standalone letters.

Templates live in ``sar_templates/pdf/`` with one print stylesheet; WeasyPrint
turns them into tagged PDF (PDF/UA-1: a structure tree, ``MarkInfo``, the
document language and title), with bookmarks from the headings and "Page X
of Y" from CSS counters.

Two rules keep requester-typed text inert:

- The Jinja environment escapes every value (``select_autoescape`` with
  escaping on by default, ``StrictUndefined``), and no template marks a
  value safe. Text is only ever data: it is never compiled as a template.
- WeasyPrint gets ``AssetFetcher``, which serves files from
  ``sar_templates/pdf`` and ``sar_templates/fonts`` named by the fixed
  scheme ``rightsdesk-asset:`` (or a plain relative path) and refuses
  everything else (``file:``, ``http(s):``, ``data:``, traversal) by
  raising. It is built with ``fail_on_errors``: a refused fetch stops the
  render instead of printing a document with a hole in it.

The environment is separate from the email letters' one
(``app.letters.services``), whose date and request-type helpers it reuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from app.exports.content import PackContent
from app.exports.pdf_items import DAYS
from app.exports.pdf_values import inert, marked_text, show
from app.exports.pdf_view import pack_view, schedule_view
from app.letters.services import (
    ICO_COMPLAINT_URL,
    ICO_PHONE,
    LETTERS,
    TEMPLATE_ROOT,
    LetterError,
    LetterSpec,
    _plural,
    _request_type,
    format_date,
)

PORTABILITY = "portability"  # RequestType.PORTABILITY's value, as the content carries it
ASSET_SCHEME = "rightsdesk-asset"
ASSET_BASE_URL = f"{ASSET_SCHEME}:pdf/"
# Only these folders of sar_templates/ are served, and only these file types.
ASSET_FOLDERS = ("pdf", "fonts")
ASSET_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff2": "font/woff2",
    ".png": "image/png",
}
# PDF/UA-1 implies tags; both are given so a WeasyPrint that changed the
# variant's defaults would still tag. Fonts are subset (the default).
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
LONDON = ZoneInfo("Europe/London")
SERVICE_NAME = "Rights Desk"
ICO_WEBSITE = "ico.org.uk"
ICO_ADDRESS = "Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF"


class AssetRefused(ValueError):
    """A URL the PDF renderer may not fetch."""


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    data: bytes
    pages: int


class AssetFetcher(URLFetcher):
    """Serves the project's own print assets and nothing else."""

    def __init__(self, root: Path = TEMPLATE_ROOT) -> None:
        super().__init__(allowed_protocols=(ASSET_SCHEME,), fail_on_errors=True)
        self.root = root.resolve()

    def resolve(self, url: str) -> Path:
        """The file ``url`` names, or ``AssetRefused``."""
        if any(char in url for char in "\\%?#\x00") or not url.isprintable():
            # No decoding is done, so nothing encoded can smuggle a ".." in.
            raise AssetRefused(f"refused {url!r}: unexpected characters")
        scheme, colon, rest = url.partition(":")
        if colon and scheme != ASSET_SCHEME:
            raise AssetRefused(f"refused {url!r}: only {ASSET_SCHEME}: assets are served")
        # A relative path is taken from the templates' own folder.
        path = rest.lstrip("/") if colon else f"pdf/{url}"
        parts = path.split("/")
        if len(parts) < 2 or parts[0] not in ASSET_FOLDERS or any(p in ("", ".", "..") for p in parts):
            raise AssetRefused(f"refused {url!r}: not a print asset")
        folder = (self.root / parts[0]).resolve()
        target = (self.root / path).resolve()
        # resolve() follows symlinks, so a link out of the folder is caught too.
        if not target.is_relative_to(folder) or target.suffix not in ASSET_TYPES or not target.is_file():
            raise AssetRefused(f"refused {url!r}: not a print asset")
        return target

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        target = self.resolve(url)
        return URLFetcherResponse(url, _asset_bytes(target), {"Content-Type": ASSET_TYPES[target.suffix]})


@lru_cache(maxsize=16)
def _asset_bytes(path: Path) -> bytes:
    # Assets change only with a deployment; fonts are read once per process.
    return path.read_bytes()


def _uk_today() -> date:
    return datetime.now(LONDON).date()


@lru_cache(maxsize=4)
def pdf_environment(root: Path = TEMPLATE_ROOT) -> Environment:
    env = Environment(
        # Rooted at pdf/: a print template cannot include an email template.
        loader=FileSystemLoader(str(root / "pdf")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date=format_date,
        request_type=_request_type,
        plural=_plural,
        show=show,
        text=marked_text,
        inert=inert,
    )
    env.globals.update(
        asset_base=ASSET_BASE_URL,
        days=DAYS,
        service_name=SERVICE_NAME,
        ico_complaint_url=ICO_COMPLAINT_URL,
        ico_phone=ICO_PHONE,
        ico_website=ICO_WEBSITE,
        ico_address=ICO_ADDRESS,
    )
    return env


# --- standalone letters ------------------------------------------------


@dataclass(frozen=True)
class PdfDocument:
    spec: LetterSpec  # what the context must and may hold
    title: str  # the heading, and the title in the PDF's metadata
    subject: str  # the PDF's subject metadata: what the letter is, for the reader


# Printed letters may also carry the date they are printed with and the
# postal address; the organisation is shown in the letterhead when given.
COMMON_OPTIONAL = frozenset({"letter_date", "organisation_name", "requester_address"})


def _spec(required: str, optional: str, description: str) -> LetterSpec:
    return LetterSpec("requester", frozenset(required.split()), frozenset(optional.split()), description)


DOCUMENTS: dict[str, PdfDocument] = {
    # The printed twins of emailed letters need what the emails need.
    "acknowledgement": PdfDocument(
        LETTERS["acknowledgement"],
        "We have received your request",
        "Acknowledgement of a data protection request, with the date a response is due",
    ),
    "identity_request": PdfDocument(
        LETTERS["identity_request"],
        "Please confirm your identity",
        "A request for proof of identity before a data protection request goes further",
    ),
    "clarification_request": PdfDocument(
        LETTERS["clarification_request"],
        "A question about your request",
        "A question about a data protection request, which pauses the time limit",
    ),
    "extension_notice": PdfDocument(
        LETTERS["extension_notice"],
        "We need more time to respond",
        "Notice that the time to respond to a data protection request is extended, with the reasons",
    ),
    "refusal": PdfDocument(
        LETTERS["refusal"],
        "Our decision on your request",
        "Refusal of a data protection request, with the reason and the right to complain",
    ),
    "erasure_certificate": PdfDocument(
        _spec(
            "requester_name reference organisation_name erased_on backups_clear_on erased",
            "kept systems recipients",
            "What was deleted and when (erased: list of str), what was kept and why "
            "(kept: list of {what, why}), the systems it was deleted from (systems: list of str), "
            "who else was told (recipients: app.recipients.told.RecipientsTold).",
        ),
        "Certificate of erasure",
        "Certificate that personal data was deleted in answer to an erasure request",
    ),
    "rectification_confirmation": PdfDocument(
        _spec(
            "requester_name reference organisation_name corrected_on corrections",
            "not_corrected recipients",
            "Each correction (corrections: list of {what, before, after}); anything not changed, "
            "with the reason (not_corrected: list of {what, why}); who else was told "
            "(recipients: app.recipients.told.RecipientsTold).",
        ),
        "Your information has been corrected",
        "Confirmation that personal data was corrected in answer to a rectification request",
    ),
    "disclosure_schedule": PdfDocument(
        _spec(
            "reference organisation_name schedule",
            "requester_name sections sources_searched",
            "Every review decision (schedule: list of ScheduleRow), with category titles from "
            "sections (list of CategorySection) and system names from sources_searched.",
        ),
        "Disclosure schedule",
        "Every item found for a data protection request, and what was disclosed, withheld or redacted",
    ),
}


def check_document_context(name: str, context: Mapping[str, Any]) -> PdfDocument:
    document = DOCUMENTS.get(name)
    if document is None:
        raise LetterError(
            f"no printed document called {name!r}; documents are: {', '.join(sorted(DOCUMENTS))}"
        )
    spec = document.spec
    missing = sorted(key for key in spec.required if key not in context)
    if missing:
        raise LetterError(f"document {name!r} needs {', '.join(missing)} in its context")
    unexpected = sorted(set(context) - spec.required - spec.optional - COMMON_OPTIONAL)
    if unexpected:
        raise LetterError(f"document {name!r} does not use {', '.join(unexpected)}")
    return document


def render_document_html(name: str, context: Mapping[str, Any]) -> str:
    document = check_document_context(name, context)
    values: dict[str, Any] = {
        "letter_date": _uk_today(),
        "organisation_name": None,
        "requester_address": None,
    }
    values.update(context)
    if name == "disclosure_schedule":
        sections = values.get("sections") or []
        values["table"] = schedule_view(
            values["schedule"],
            {(s.source, s.category): s.facts.title for s in sections},
            {s.name: s.title for s in values.get("sources_searched") or []},
            full=True,
        )
    values["meta"] = {
        "title": f"{document.title} ({values['reference']})",
        "author": values["organisation_name"] or SERVICE_NAME,
        "subject": document.subject,
        "keywords": f"data protection, UK GDPR, {name.replace('_', ' ')}, {values['reference']}",
        "heading": document.title,
        "created": values["letter_date"].isoformat(),
    }
    return pdf_environment().get_template(f"{name}.html").render(values)


def render_document_pdf(
    name: str, context: Mapping[str, Any], *, url_fetcher: URLFetcher | None = None
) -> RenderedPdf:
    """One standalone printed letter (``DOCUMENTS``) as a tagged PDF."""
    return write_pdf(render_document_html(name, context), url_fetcher)


# --- the response pack -------------------------------------------------


def render_pack_html(content: PackContent) -> str:
    view = pack_view(content)
    portability = content.request_type == PORTABILITY
    view["meta"] = {
        "title": f"Response to your data protection request ({content.reference})",
        "author": content.organisation_name,
        "subject": (
            f"The response of {content.organisation_name} to request {content.reference}, "
            + (
                "with the personal data the right to data portability covers"
                if portability
                else "with a copy of the personal data it holds"
            )
        ),
        "keywords": (
            f"data portability, UK GDPR Article 20, response, {content.reference}"
            if portability
            else f"subject access request, UK GDPR Article 15, response, {content.reference}"
        ),
        "created": content.generated_at.isoformat(timespec="seconds"),
    }
    view["letter_date"] = content.generated_at.astimezone(LONDON).date()
    return pdf_environment().get_template("response_pack.html").render(view)


def render_pack_pdf(content: PackContent, *, url_fetcher: URLFetcher | None = None) -> RenderedPdf:
    """The response pack: the cover letter, the copy of the data and the
    disclosure schedule, as one tagged PDF."""
    return write_pdf(render_pack_html(content), url_fetcher)


def write_pdf(html: str, url_fetcher: URLFetcher | None = None) -> RenderedPdf:
    """Lay out ``html`` (already escaped) and write it as PDF/UA-1.

    Raises ``AssetRefused`` if the document asked for anything the fetcher
    refused: WeasyPrint's own error derives from ``BaseException``, which a
    job runner's ``except Exception`` would not catch.
    """
    try:
        document = HTML(
            string=html, base_url=ASSET_BASE_URL, url_fetcher=url_fetcher or AssetFetcher()
        ).render(**PDF_OPTIONS)
        data = document.write_pdf(**PDF_OPTIONS)
    except FatalURLFetchingError as error:
        raise AssetRefused(str(error)) from error.__cause__
    return RenderedPdf(data, len(document.pages))
