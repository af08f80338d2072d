"""Public pages of the secure download links (``/download/<token>``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("downloads", __name__)
