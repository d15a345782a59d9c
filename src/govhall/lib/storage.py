"""Private files: applicants' materials and licence documents, never served from a public folder."""

from __future__ import annotations

from django.core.files.storage import Storage, storages
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.http import content_disposition_header


def private_storage() -> Storage:
    """The storage outside any served folder (settings.STORAGES["private"])."""
    return storages["private"]


def private_download(file: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    """Serve a private file to someone an access gate has already let through: no caching, no sniffing."""
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
