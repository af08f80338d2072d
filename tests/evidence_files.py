"""Real small files for evidence uploads, which must open as what they
claim (``app.intake.uploads.check_opens``): a one-page PDF, a PNG and a
JPG, made in memory (not a test module)."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter


def pdf_file(pages: int = 1) -> bytes:
    """A PDF of ``pages`` blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_file(image_format: str = "PNG", size: tuple[int, int] = (4, 3)) -> bytes:
    """A small picture, ``PNG`` or ``JPEG``."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format=image_format)
    return out.getvalue()


def locked_pdf_file() -> bytes:
    """A one-page PDF that opens only with a password."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf_file()))
    writer.encrypt(user_password="not-sent", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
