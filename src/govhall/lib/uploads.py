"""Checks on an uploaded file before it is kept: real type by content, size, PDF pages, safe name.

Only PDF, JPEG and PNG are accepted as materials. The type is read from the file's first
bytes (``filetype``), never from its name; a PDF must open (``pypdf``) and stay within the
page limit. Nothing here writes the file anywhere.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import IO, Any

import filetype
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

ALLOWED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True)
class InspectedFile:
    content_type: str
    extension: str
    size: int
    sha256: str
    page_count: int
    safe_name: str


def safe_filename(name: str, extension: str) -> str:
    """A display name without paths, control characters or a misleading extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", base).strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or 'file')[:80]}.{extension}"


def inspect_upload(upload: IO[bytes], *, name: str, size: int, max_bytes: int, max_pages: int) -> InspectedFile:
    """Inspect an upload; raise ValidationError saying what is wrong with it."""
    if size > max_bytes:
        raise ValidationError(
            _("文件“%(name)s”太大（%(size).1f MB），单个文件不能超过 %(max).0f MB。")
            % {"name": name, "size": size / 1048576, "max": max_bytes / 1048576}
        )
    if size == 0:
        raise ValidationError(_("文件“%(name)s”是空的。") % {"name": name})
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED:
        raise ValidationError(
            _("文件“%(name)s”不是 PDF、JPG 或 PNG 文件（按文件内容判断，与文件名无关）。") % {"name": name}
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 16), b""):
        digest.update(chunk)
    pages = 1
    if kind.mime == "application/pdf":
        upload.seek(0)
        try:
            reader = PdfReader(upload)
            if reader.is_encrypted:
                raise ValidationError(_("文件“%(name)s”设置了密码，请上传未加密的 PDF。") % {"name": name})
            pages = len(reader.pages)
        except (PdfReadError, ValueError, KeyError) as exc:
            raise ValidationError(_("文件“%(name)s”已损坏，无法打开。") % {"name": name}) from exc
        if pages > max_pages:
            raise ValidationError(
                _("文件“%(name)s”有 %(pages)d 页，超过 %(max)d 页的上限。")
                % {"name": name, "pages": pages, "max": max_pages}
            )
    upload.seek(0)
    extension = ALLOWED[kind.mime]
    return InspectedFile(kind.mime, extension, size, digest.hexdigest(), pages, safe_filename(name, extension))


class OversizedUpload(UploadedFile):
    """Stands in for a file that was larger than the limit: it keeps its name and size, not its bytes."""

    def __init__(self, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(io.BytesIO(b""), name, content_type, size, charset)


class MaterialSizeLimitHandler(FileUploadHandler):
    """Stop keeping an uploaded file once it passes ``settings.MATERIAL_MAX_BYTES``.

    Listed first in FILE_UPLOAD_HANDLERS. Each file is counted as it streams in; past the
    limit no more of it reaches the handlers that write to memory or disk, and the form gets
    an ``OversizedUpload`` with the real size, which ``inspect_upload`` refuses by name and
    size. A 2 GB upload therefore never lands on the server's disk.
    """

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.MATERIAL_MAX_BYTES:
            return None  # swallowed here: the later handlers never see it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > settings.MATERIAL_MAX_BYTES:
            return OversizedUpload(self.file_name or "", self.content_type or "", self.received, self.charset)
        return None
