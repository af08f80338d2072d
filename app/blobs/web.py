"""Handing a stored blob to a browser as a download.

Uploaded files came from the public, so they are never rendered by the
browser: always an attachment, the type never sniffed, and a sandbox CSP in
case a browser opens it anyway (a PDF viewer running script, an image
hiding HTML)."""

from __future__ import annotations

import unicodedata
import uuid
from urllib.parse import quote

from flask import Response, stream_with_context

from app.blobs.services import open_blob


def attachment(blob_id: uuid.UUID, *, filename: str, content_type: str, size: int) -> Response:
    chunks = open_blob(blob_id)  # fails before any byte is sent when the blob is gone
    response = Response(stream_with_context(chunks), mimetype=content_type)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in
    ``filename*`` (RFC 6266), so accents survive and no quote or newline in
    a name typed by the public can break the header."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch for ch in ascii_name if ch.isprintable() and ch not in '"\\') or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
