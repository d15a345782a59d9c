"""Checks on an uploaded file before it is kept: real type by content, size, PDF pages and content, safe name.

Only PDF, JPEG and PNG are accepted as materials. The type is read from the file's first
bytes (``filetype``), never from its name; a PDF must open (``pypdf``) and stay within the
page limit. Nothing here writes the file anywhere, and nothing in a file is run or rendered.

Two kinds of file are refused, not repaired:

- **A PDF with active content**: JavaScript (anywhere: a document-level script, an open
  action, an annotation's or a field's action, additional actions ``/AA``), a launch action,
  an embedded or attached file, rich media (Flash, video), or an XFA form. A clerk opens
  materials in a PDF reader on the bureau's network, and these are how a PDF runs code or
  carries another file there. Flattening (rewriting the PDF without them) would change the
  bytes the applicant signed, break a PAdES signature, and could still miss what a reader
  finds; a material needs none of it, so the applicant is asked to save it as a plain PDF.
- **A decompression bomb**: a PNG or JPEG whose declared size is more than
  ``MATERIAL_MAX_PIXELS`` (refused from its header, before any pixel is decoded), and a PDF
  stream that would inflate past its bound: an image stream past what its declared size
  needs, any other stream past ``MATERIAL_MAX_STREAM_BYTES``, all of them together past
  ``MATERIAL_MAX_EXPANDED_BYTES``. Flate streams are inflated piece by piece with a bound on
  each piece's output and counted, never held: checking a 1 GiB bomb peaks at a few MB.
  Whatever pypdf decodes itself (object and cross-reference streams) runs under the same
  bounds (``pypdf.apply_configuration``).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import filetype
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

ALLOWED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# Inflated in pieces of at most this many bytes (zlib's max_length), so no piece is large:
_PIECE = 1 << 16


@dataclass(frozen=True)
class InspectedFile:
    content_type: str
    extension: str
    size: int
    sha256: str
    page_count: int
    safe_name: str


class ActiveContent(Exception):
    """The PDF can run something or carries another file; ``what`` names it (for logs and tests)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class TooLargeWhenExpanded(Exception):
    """A stream or image would expand past its bound; ``what`` says which (for logs and tests)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def safe_filename(name: str, extension: str) -> str:
    """A display name without paths, control characters or a misleading extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", base).strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or 'file')[:80]}.{extension}"


def inspect_files(files: list[UploadedFile], *, field: str) -> list[InspectedFile]:
    """Inspect every file with the materials' limits; raise ValidationError ``{field: [each problem]}`` if any is bad.

    For the files an action takes besides an application's materials (evidence, attachments):
    every problem of every file at once, nothing kept.
    """
    inspected, errors = [], []
    for upload in files:
        try:
            inspected.append(
                inspect_upload(
                    upload,
                    name=upload.name or "",
                    size=upload.size or 0,
                    max_bytes=settings.MATERIAL_MAX_BYTES,
                    max_pages=settings.MATERIAL_MAX_PAGES,
                )
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return inspected


def inspect_upload(
    upload: IO[bytes],
    *,
    name: str,
    size: int,
    max_bytes: int,
    max_pages: int,
    max_pixels: int | None = None,
    max_stream_bytes: int | None = None,
    max_expanded_bytes: int | None = None,
) -> InspectedFile:
    """Inspect an upload; raise ValidationError saying what is wrong with it.

    The bounds not given are the settings' (MATERIAL_MAX_PIXELS, MATERIAL_MAX_STREAM_BYTES,
    MATERIAL_MAX_EXPANDED_BYTES). Reads the whole file once for its hash and a PDF's
    structure; decodes no image and runs nothing.
    """
    max_pixels = max_pixels if max_pixels is not None else settings.MATERIAL_MAX_PIXELS
    bounds = _Bounds(
        max_pixels,
        max_stream_bytes if max_stream_bytes is not None else settings.MATERIAL_MAX_STREAM_BYTES,
        max_expanded_bytes if max_expanded_bytes is not None else settings.MATERIAL_MAX_EXPANDED_BYTES,
    )
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
        pages = _inspect_pdf(upload, name=name, max_pages=max_pages, bounds=bounds)
    else:
        upload.seek(0)
        dimensions = image_dimensions(upload, kind.mime)
        if dimensions is None:
            raise ValidationError(_("文件“%(name)s”已损坏，无法打开。") % {"name": name})
        width, height = dimensions
        if width * height > max_pixels:
            raise ValidationError(
                _(
                    "图片“%(name)s”尺寸过大（%(width)d×%(height)d 像素），单张图片不能超过 %(megapixels)d 百万像素。请缩小后再上传。"
                )
                % {"name": name, "width": width, "height": height, "megapixels": max_pixels // 1_000_000}
            )
    upload.seek(0)
    extension = ALLOWED[kind.mime]
    return InspectedFile(kind.mime, extension, size, digest.hexdigest(), pages, safe_filename(name, extension))


def _inspect_pdf(upload: IO[bytes], *, name: str, max_pages: int, bounds: _Bounds) -> int:
    """The page count of a PDF with no active content and no stream past its bound; else ValidationError."""
    upload.seek(0)
    # pypdf's own decoding (object streams, cross-reference streams) within the same bounds:
    limit = bounds.stream_bytes
    try:
        with apply_configuration(
            zlib_maximum_output_length=limit,
            lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit,
            jbig2_maximum_output_length=limit,
            brotli_maximum_output_length=limit,
            array_based_stream_maximum_output_length=limit,
            image_maximum_buffer_size=limit,
        ):
            reader = PdfReader(upload)
            if reader.is_encrypted:
                raise ValidationError(_("文件“%(name)s”设置了密码，请上传未加密的 PDF。") % {"name": name})
            check_pdf_structure(reader, bounds)
            pages = len(reader.pages)
    except ActiveContent as found:
        raise ValidationError(
            _(
                "文件“%(name)s”含有脚本、自动执行的动作或嵌入文件，为安全起见不予接收。请另存为（或打印为）普通 PDF 后再上传。"
            )
            % {"name": name},
            code="active_content",
        ) from found
    except (TooLargeWhenExpanded, LimitReachedError) as found:
        raise ValidationError(
            _("文件“%(name)s”解压后的内容大得异常，可能是被恶意构造的文件（“解压炸弹”），不予接收。") % {"name": name},
            code="expands_too_much",
        ) from found
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, zlib.error, RecursionError) as exc:
        raise ValidationError(_("文件“%(name)s”已损坏，无法打开。") % {"name": name}) from exc
    if pages > max_pages:
        raise ValidationError(
            _("文件“%(name)s”有 %(pages)d 页，超过 %(max)d 页的上限。")
            % {"name": name, "pages": pages, "max": max_pages}
        )
    return pages


@dataclass(frozen=True)
class _Bounds:
    pixels: int
    stream_bytes: int
    expanded_bytes: int


# Keys whose presence anywhere in a PDF is active content, and the action types that are:
_ACTIVE_KEYS = {
    "/JS",
    "/JavaScript",
    "/EF",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/RichMedia",
    "/RichMediaContent",
    "/XFA",
}
_ACTIVE_VALUES = {
    # Run a script or a program, open another (possibly remote: \\host\share leaks the clerk's
    # Windows credentials) file, or send the form somewhere; a link (/URI) is an ordinary thing:
    "/S": {
        "/JavaScript",
        "/Launch",
        "/GoToE",
        "/GoToR",
        "/ImportData",
        "/SubmitForm",
        "/Rendition",
        "/RichMediaExecute",
    },
    "/Type": {"/EmbeddedFile"},
    "/Subtype": {"/RichMedia", "/FileAttachment", "/Movie", "/Sound", "/Screen", "/3D"},
}
_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"}
_FLATE = {"/FlateDecode", "/Fl"}


def check_pdf_structure(reader: PdfReader, bounds: _Bounds) -> None:
    """Look at every object of the file, once, without running or rendering anything.

    Raises ActiveContent for a script, launch, embedded file, rich media or XFA form wherever
    it sits (reached or not: a reader may find what the page tree does not name), and
    TooLargeWhenExpanded for a stream past its bound. Names are compared decoded, so
    ``/J#61vaScript`` is ``/JavaScript``.
    """
    expanded = 0
    for reference in _every_object(reader):
        obj = reference.get_object()
        _check_value(obj, depth=0)
        if isinstance(obj, StreamObject):
            expanded += _expanded_size(obj, bounds)
            if expanded > bounds.expanded_bytes:
                raise TooLargeWhenExpanded("all streams together")


def _every_object(reader: PdfReader) -> Iterator[IndirectObject]:
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield IndirectObject(number, generation, reader)
    for number in reader.xref_objStm:
        yield IndirectObject(number, 0, reader)
    # The trailer and the catalog, in case the cross-reference table does not list them:
    yield from (value for value in reader.trailer.values() if isinstance(value, IndirectObject))


def _check_value(value: Any, *, depth: int) -> None:
    """Raise ActiveContent if ``value`` (a direct object; referenced ones are visited on their own) is active."""
    if depth > 64:  # a legitimate PDF nests a few levels; deeper is made to exhaust the stack
        raise ValueError("nested too deeply")
    if isinstance(value, DictionaryObject):
        for key, inner in value.items():
            if key in _ACTIVE_KEYS:
                raise ActiveContent(str(key))
            if key in _ACTIVE_VALUES and isinstance(inner, NameObject) and inner in _ACTIVE_VALUES[key]:
                raise ActiveContent(f"{key} {inner}")
            if not isinstance(inner, IndirectObject):
                _check_value(inner, depth=depth + 1)
    elif isinstance(value, ArrayObject):
        for inner in value:
            if not isinstance(inner, IndirectObject):
                _check_value(inner, depth=depth + 1)


def _filters(stream: StreamObject) -> list[str]:
    found = stream.get("/Filter")
    found = found.get_object() if isinstance(found, IndirectObject) else found
    if found is None:
        return []
    if isinstance(found, ArrayObject):
        return [str(item.get_object()) for item in found]
    return [str(found)]


def _expanded_size(stream: StreamObject, bounds: _Bounds) -> int:
    """The stream's size when decoded, counted within its bound; TooLargeWhenExpanded past it."""
    raw: bytes = getattr(stream, "_data", b"") or b""
    filters = _filters(stream)
    limit = bounds.stream_bytes
    if stream.get("/Subtype") == "/Image":
        width = _number(stream.get("/Width"))
        height = _number(stream.get("/Height"))
        if width * height > bounds.pixels:
            raise TooLargeWhenExpanded(f"image of {width}×{height}")
        # What the declared size needs at most (four components, a predictor byte a row):
        bits = _number(stream.get("/BitsPerComponent")) or 8
        if width and height:
            limit = height * ((width * 4 * bits + 7) // 8 + 1) + _PIECE
        # A JPEG, JPEG 2000, JBIG2 or fax image is decoded only by a reader, never here:
        filters = [f for f in filters if f not in _IMAGE_FILTERS]
    if not filters:
        return len(raw)
    if all(f in _FLATE for f in filters):
        pieces: Iterator[bytes] = iter((raw,))
        for _filter in filters:
            pieces = _inflate(pieces, limit)
        return sum(len(piece) for piece in pieces)
    # Any other filter (LZW, run length, ASCII, often before Flate as reportlab writes images):
    # pypdf decodes it, each compressing filter's output within the configured bounds. Its
    # decoding work counts every stage's input and output, so it is bounded by the raw
    # bytes and two full stages per filter; the result is held to this stream's own bound:
    work = len(raw) + 2 * len(filters) * max(limit, bounds.stream_bytes)
    with apply_configuration(stream_decoding_work_maximum_length=work):
        decoded = stream.get_data()
    if len(decoded) > limit:
        raise TooLargeWhenExpanded("stream")
    return len(decoded)


def _inflate(pieces: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """Inflate a zlib stream given in pieces; yield its output in pieces; stop past ``limit`` bytes."""
    inflater = zlib.decompressobj()
    produced = 0
    try:
        for piece in pieces:
            pending = piece
            while pending and not inflater.eof:
                out = inflater.decompress(pending, _PIECE)
                if not out and inflater.unconsumed_tail == pending:
                    break  # no progress: nothing more comes of this input
                pending = inflater.unconsumed_tail
                produced += len(out)
                if produced > limit:
                    raise TooLargeWhenExpanded(f"stream past {limit} bytes")
                if out:
                    yield out
    except zlib.error:
        # A damaged stream (common from old scanners) ends where it breaks, as in a reader:
        return


def _number(value: Any) -> int:
    value = value.get_object() if isinstance(value, IndirectObject) else value
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def image_dimensions(upload: IO[bytes], mime: str) -> tuple[int, int] | None:
    """A PNG's or JPEG's declared width and height, read from its header; None if there is none.

    Nothing is decoded: a 30000×30000 image is refused from these two numbers.
    """
    upload.seek(0)
    if mime == "image/png":
        head = upload.read(24)
        # The signature, then the first chunk, which must be IHDR: width and height, 4 bytes each:
        if len(head) < 24 or head[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    return _jpeg_dimensions(upload)


# Start-of-frame markers (SOF0–SOF15 but DHT, JPG and DAC), which carry the image's size:
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_dimensions(upload: IO[bytes]) -> tuple[int, int] | None:
    data = upload
    if data.read(2) != b"\xff\xd8":
        return None
    for _segment in range(10_000):
        marker = data.read(2)
        while len(marker) == 2 and marker[0] == 0xFF and marker[1] == 0xFF:  # fill bytes
            marker = marker[1:] + data.read(1)
        if len(marker) < 2 or marker[0] != 0xFF or marker[1] in (0xD9, 0xDA):  # end, or the scan began
            return None
        if 0xD0 <= marker[1] <= 0xD7 or marker[1] == 0x01:  # markers without a length
            continue
        length_bytes = data.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker[1] in _SOF:
            frame = data.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        data.seek(length - 2, io.SEEK_CUR)
    return None


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
