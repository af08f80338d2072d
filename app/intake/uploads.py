"""Evidence uploads (proof of identity or of authority to act): checked by
content (the first bytes name a PDF, JPG or PNG, and the file must open as
one: pypdf reads the PDF's structure, Pillow decodes the picture), bounded
in size while reading, stored encrypted.

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
# The first bytes only name a kind: the file must also open as one.
DAMAGED_PDF = (
    "The file could not be opened as a PDF. It may be damaged, or not really a PDF: save or scan the "
    "document again and send the new file"
)
LOCKED_PDF = "The PDF is protected by a password. Send a copy without the password"
DAMAGED_IMAGE = (
    "The file could not be opened as a JPG or PNG picture. It may be damaged, or not really a picture: "
    "take the photo or scan again and send the new file"
)
# Decoding a picture holds its pixels in memory (a JPG at an eighth of its
# size, a PNG whole): more than a phone camera takes is refused unread.
MAX_IMAGE_PIXELS = 30_000_000
TOO_MANY_PIXELS = (
    "The picture is too large to check (more than 30 megapixels). Send a smaller photo or scan, or a PDF"
)
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


def check_opens(kind: FileKind, content: BinaryIO) -> None:
    """Refuse (``UploadRefused``) a file that does not open as the kind its
    first bytes name: a PDF whose structure pypdf cannot read (or that
    needs a password), a picture Pillow cannot decode. Both read from
    ``content`` itself (the bounded copy), never a second copy in memory."""
    if kind.content_type == "application/pdf":
        _check_pdf(content)
    else:
        _check_image(content, "PNG" if kind.content_type == "image/png" else "JPEG")


def _check_pdf(content: BinaryIO) -> None:
    from pypdf import PdfReader  # loaded only when a PDF is sent
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(content, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadRefused(LOCKED_PDF)
        pages = len(reader.pages)
    except UploadRefused:
        raise
    except FileNotDecryptedError:
        raise UploadRefused(LOCKED_PDF) from None
    except Exception:  # whatever a malformed file makes the parser raise
        raise UploadRefused(DAMAGED_PDF) from None
    if pages < 1:
        raise UploadRefused(DAMAGED_PDF)


def _check_image(content: BinaryIO, image_format: str) -> None:
    from PIL import Image

    try:
        with Image.open(content, formats=[image_format]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadRefused(TOO_MANY_PIXELS)
            if image_format == "JPEG":
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()  # every pixel decoded: a truncated or corrupt file fails here
    except UploadRefused:
        raise
    except Exception:  # whatever a malformed file makes the decoder raise
        raise UploadRefused(DAMAGED_IMAGE) from None


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
        check_opens(kind, spool)
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
