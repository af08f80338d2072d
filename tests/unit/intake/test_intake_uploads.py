"""Evidence uploads: real small files accepted and stored encrypted; fakes
(including a right signature over something else, a damaged file, a PDF
behind a password), empty and oversized files refused with a reason a
person understands."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from app.blobs.models import Blob, BlobChunk
from app.blobs.services import open_blob
from app.intake import uploads
from app.intake.uploads import (
    DAMAGED_IMAGE,
    DAMAGED_PDF,
    EMPTY,
    LOCKED_PDF,
    MAX_UPLOAD_BYTES,
    NO_FILE,
    TOO_BIG,
    TOO_MANY_PIXELS,
    WRONG_TYPE,
    UploadRefused,
    accept_file_storage,
    accept_upload,
    check_upload,
)
from tests.evidence_files import image_file, locked_pdf_file, pdf_file


def tiny_png() -> bytes:
    return image_file("PNG")


def tiny_jpeg() -> bytes:
    return image_file("JPEG")


def tiny_pdf() -> bytes:
    return pdf_file()


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
    content = tiny_pdf()
    blob = accept_upload(io.BytesIO(content), filename="exact.pdf", declared_type=None, limit=len(content))
    assert blob.size == len(content)


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"%PDF-<html><script>alert(1)</script></html>", "x.pdf", DAMAGED_PDF),
        (b"%PDF-1.7 passport", "passport.pdf", DAMAGED_PDF),
        (tiny_pdf()[:-120], "cut-short.pdf", DAMAGED_PDF),
        (pdf_file(pages=0), "no-pages.pdf", DAMAGED_PDF),
        (locked_pdf_file(), "locked.pdf", LOCKED_PDF),
        (b"\x89PNG\r\n\x1a\n" + b"junk" * 100, "x.png", DAMAGED_IMAGE),
        (tiny_png()[: len(tiny_png()) // 2], "cut-short.png", DAMAGED_IMAGE),
        (b"\xff\xd8\xff\xe0" + b"junk" * 100, "x.jpg", DAMAGED_IMAGE),
        (tiny_jpeg()[:-40], "cut-short.jpg", DAMAGED_IMAGE),
    ],
)
def test_accept_upload_refuses_a_file_that_does_not_open_as_what_it_claims(
    db_session, content, filename, message
):
    with pytest.raises(UploadRefused) as refused:
        accept_upload(io.BytesIO(content), filename=filename, declared_type=None)
    assert refused.value.message == message
    assert db_session.query(Blob).count() == 0


def test_accept_upload_refuses_a_picture_of_too_many_pixels_before_decoding_it(db_session, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_IMAGE_PIXELS", 11)  # the picture is 4 x 3
    for content, name in ((tiny_png(), "big.png"), (tiny_jpeg(), "big.jpg")):
        with pytest.raises(UploadRefused) as refused:
            accept_upload(io.BytesIO(content), filename=name, declared_type=None)
        assert refused.value.message == TOO_MANY_PIXELS
    assert db_session.query(Blob).count() == 0


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
