"""Evidence uploads: real small files accepted and stored encrypted; fakes,
empty and oversized files refused with a reason a person understands."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from werkzeug.datastructures import FileStorage

from app.blobs.models import Blob, BlobChunk
from app.blobs.services import open_blob
from app.intake import uploads
from app.intake.uploads import (
    EMPTY,
    MAX_UPLOAD_BYTES,
    NO_FILE,
    TOO_BIG,
    WRONG_TYPE,
    UploadRefused,
    accept_file_storage,
    accept_upload,
    check_upload,
)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def tiny_jpeg() -> bytes:
    # Start of image, a JFIF APP0 segment, end of image: enough to be sniffed.
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def tiny_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


class ZeroStream(io.RawIOBase):
    """``size`` zero bytes produced on demand, never held in memory at once;
    records the largest read asked for and how much was read in all."""

    def __init__(self, size: int, head: bytes = b"%PDF-") -> None:
        self.remaining = size
        self.head = head
        self.largest_read = 0
        self.total_read = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        assert n is not None and n > 0, "the whole stream must never be read at once"
        self.largest_read = max(self.largest_read, n)
        n = min(n, self.remaining)
        data = (self.head + bytes(n))[:n]
        self.head = self.head[n:]
        self.remaining -= n
        self.total_read += n
        return data


@pytest.mark.parametrize(
    ("content", "filename", "declared", "stored_type"),
    [
        (tiny_png(), "passport.png", "image/png", "image/png"),
        (tiny_jpeg(), "licence.JPG", "image/jpeg", "image/jpeg"),
        (tiny_jpeg(), "licence.jpeg", "application/octet-stream", "image/jpeg"),
        (tiny_pdf(), "letter.pdf", "application/pdf", "application/pdf"),
        (tiny_pdf(), "letter.pdf", None, "application/pdf"),
    ],
)
def test_accept_upload_stores_real_files_encrypted(db_session, content, filename, declared, stored_type):
    blob = accept_upload(io.BytesIO(content), filename=filename, declared_type=declared)
    db_session.commit()
    assert isinstance(blob, Blob)
    assert blob.content_type == stored_type and blob.size == len(content)
    assert b"".join(open_blob(blob.id)) == content
    sealed = b"".join(row.sealed for row in db_session.query(BlobChunk).filter_by(blob_id=blob.id))
    assert content not in sealed


@pytest.mark.parametrize(
    ("content", "filename", "declared"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(100), "photo.png", "image/png"),  # a Windows program
        (b"<!doctype html><script>alert(1)</script>", "letter.pdf", "application/pdf"),
        (b"GIF89a\x01\x00\x01\x00", "photo.gif", "image/gif"),
        (b"plain text", "notes.txt", "text/plain"),
    ],
)
def test_accept_upload_refuses_content_that_is_not_pdf_jpeg_or_png(db_session, content, filename, declared):
    with pytest.raises(UploadRefused) as refused:
        accept_upload(io.BytesIO(content), filename=filename, declared_type=declared)
    assert refused.value.message == WRONG_TYPE
    assert db_session.query(Blob).count() == 0


@pytest.mark.parametrize(
    ("filename", "declared"),
    [
        ("scan.pdf", "image/png"),  # PNG content, wrong name
        ("scan.png", "application/pdf"),  # right name, wrong declared type
        ("scan.png.exe", "image/png"),
        ("scan", "image/png"),
    ],
)
def test_accept_upload_refuses_when_name_or_declared_type_disagrees_with_content(
    db_session, filename, declared
):
    with pytest.raises(UploadRefused, match=WRONG_TYPE):
        accept_upload(io.BytesIO(tiny_png()), filename=filename, declared_type=declared)
    assert db_session.query(Blob).count() == 0


def test_accept_upload_refuses_an_empty_file(db_session):
    with pytest.raises(UploadRefused) as refused:
        accept_upload(io.BytesIO(b""), filename="empty.pdf", declared_type="application/pdf")
    assert refused.value.message == EMPTY


def test_accept_upload_refuses_no_file(db_session):
    with pytest.raises(UploadRefused, match=NO_FILE):
        accept_upload(None, filename=None, declared_type=None)
    with pytest.raises(UploadRefused, match=NO_FILE):
        accept_file_storage(FileStorage(io.BytesIO(b""), filename=""))


def test_accept_upload_refuses_an_oversized_file_while_streaming(db_session):
    stream = ZeroStream(MAX_UPLOAD_BYTES + 5 * 1024 * 1024)
    with pytest.raises(UploadRefused) as refused:
        accept_upload(stream, filename="big.pdf", declared_type="application/pdf")
    assert refused.value.message == TOO_BIG
    # Stopped just past the limit, in small reads, and nothing was stored.
    assert stream.total_read == MAX_UPLOAD_BYTES + 1
    assert stream.largest_read <= 64 * 1024
    assert db_session.query(Blob).count() == 0


def test_accept_upload_accepts_a_file_of_exactly_the_limit(db_session):
    stream = ZeroStream(1000)
    blob = accept_upload(stream, filename="exact.pdf", declared_type="application/pdf", limit=1000)
    assert blob.size == 1000


def test_check_upload_refuses_one_byte_over_a_small_limit():
    with pytest.raises(UploadRefused, match=TOO_BIG):
        check_upload(io.BytesIO(tiny_pdf()), filename="a.pdf", declared_type=None, limit=len(tiny_pdf()) - 1)


def test_accept_file_storage_reads_werkzeug_uploads(db_session):
    upload = FileStorage(io.BytesIO(tiny_png()), filename="me.png", content_type="image/png")
    blob = accept_file_storage(upload)
    assert blob.content_type == "image/png"


def test_sniff_recognises_each_signature():
    assert uploads.sniff(tiny_png()).content_type == "image/png"
    assert uploads.sniff(tiny_jpeg()).content_type == "image/jpeg"
    assert uploads.sniff(tiny_pdf()).content_type == "application/pdf"
    assert uploads.sniff(b"%PD") is None
