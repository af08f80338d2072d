"""Evidence uploads (proof of identity or of authority to act): checked by
content, bounded in size while reading, stored encrypted.

The file is read in small pieces into a spooled temporary file and refused
the moment it passes the limit, so neither an oversized upload nor a refused
one ever reaches the database (no half-written blob, no audit noise). Only
then is it streamed into ``store_blob``. The request body as a whole is also
capped by ``MAX_CONTENT_LENGTH``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from app.blobs.models import Blob
from app.blobs.services import store_blob

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_READ_BYTES = 64 * 1024
# Small files stay in memory; anything bigger goes to a temporary file.
_SPOOL_IN_MEMORY = 1024 * 1024

WRONG_TYPE = "The file must be a PDF, JPG or PNG"
TOO_BIG = "The file must be smaller than 10 MB"
EMPTY = "The selected file is empty"
NO_FILE = "Select a file"


@dataclass(frozen=True)
class FileKind:
    content_type: str
    magic: bytes
    extensions: frozenset[str]
    # Declared types browsers are known to send for this kind.
    declared: frozenset[str]


KINDS = (
    FileKind(
        "application/pdf", b"%PDF-", frozenset({".pdf"}), frozenset({"application/pdf", "application/x-pdf"})
    ),
    FileKind(
        "image/jpeg", b"\xff\xd8\xff", frozenset({".jpg", ".jpeg"}), frozenset({"image/jpeg", "image/pjpeg"})
    ),
    FileKind("image/png", b"\x89PNG\r\n\x1a\n", frozenset({".png"}), frozenset({"image/png", "image/x-png"})),
)
_SNIFF_BYTES = max(len(kind.magic) for kind in KINDS)
# Declared types that say nothing about the content: some browsers and
# phone apps send these for any file, so they are not a disagreement.
_UNINFORMATIVE_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class UploadRefused(ValueError):
    """The file cannot be accepted; ``message`` is written for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff(head: bytes) -> FileKind | None:
    """The kind whose signature the content starts with, if any."""
    return next((kind for kind in KINDS if head.startswith(kind.magic)), None)


def _check_declared(kind: FileKind, filename: str | None, declared_type: str | None) -> None:
    # A file named .png holding a PDF may be harmless, but a renamed file is
    # also the classic way to slip something past a type check: refuse any
    # disagreement rather than guess which of the two is true.
    if filename:
        suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
        if suffix not in kind.extensions:
            raise UploadRefused(WRONG_TYPE)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in _UNINFORMATIVE_TYPES and declared not in kind.declared:
        raise UploadRefused(WRONG_TYPE)


def read_bounded(stream: BinaryIO, limit: int = MAX_UPLOAD_BYTES) -> tempfile.SpooledTemporaryFile:
    """Copy ``stream`` into a spooled temporary file, refusing it as soon as
    more than ``limit`` bytes have been read. Returns the file, rewound."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 (returned open)
    total = 0
    try:
        while True:
            piece = stream.read(min(_READ_BYTES, limit + 1 - total))
            if not piece:
                break
            total += len(piece)
            if total > limit:
                raise UploadRefused(TOO_BIG)
            spool.write(piece)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def check_upload(
    stream: BinaryIO,
    *,
    filename: str | None,
    declared_type: str | None,
    limit: int = MAX_UPLOAD_BYTES,
) -> tuple[FileKind, tempfile.SpooledTemporaryFile]:
    """Validate an upload without storing it: its kind and the bounded copy
    (the caller closes it). Raises ``UploadRefused``."""
    spool = read_bounded(stream, limit)
    try:
        head = spool.read(_SNIFF_BYTES)
        if not head:
            raise UploadRefused(EMPTY)
        kind = sniff(head)
        if kind is None:
            raise UploadRefused(WRONG_TYPE)
        _check_declared(kind, filename, declared_type)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return kind, spool


def accept_upload(
    stream: BinaryIO | None,
    *,
    filename: str | None,
    declared_type: str | None,
    limit: int = MAX_UPLOAD_BYTES,
) -> Blob:
    """Check an uploaded file and store it encrypted; returns the ``Blob``
    (in the caller's transaction: the caller commits with whatever refers to
    it). The stored content type is the one found in the content, never the
    one the browser declared."""
    if stream is None:
        raise UploadRefused(NO_FILE)
    kind, spool = check_upload(stream, filename=filename, declared_type=declared_type, limit=limit)
    with spool:
        return store_blob(spool, kind.content_type)


def accept_file_storage(file) -> Blob:  # werkzeug.datastructures.FileStorage
    """``accept_upload`` for a Werkzeug ``FileStorage`` from ``request.files``."""
    if file is None or not file.filename:
        raise UploadRefused(NO_FILE)
    return accept_upload(file.stream, filename=file.filename, declared_type=file.mimetype)
