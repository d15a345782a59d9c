"""Documents a case produces: the acceptance notice (受理通知书)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from django.conf import settings
from django.utils.translation import gettext as _

from govhall.cases.messages import day
from govhall.cases.models import Case
from govhall.lib.pdf import cjk_font
from govhall.lib.signing import sign_notice

# The embedded font (WenQuanYi Zen Hei, and most CJK fonts reached without OpenType features)
# draws “ ” a third of an em wide, the Western way; Chinese text sets them full width, the
# mark on the inner side of its square. Two no-break spaces (0.3 em each) on the outer side
# make up the square:
_QUOTES = {"“": "&nbsp;&nbsp;“", "”": "”&nbsp;&nbsp;", "‘": "&nbsp;&nbsp;&nbsp;‘", "’": "’&nbsp;&nbsp;&nbsp;"}


def chinese_typography(text: str) -> str:
    """``text`` escaped for a reportlab Paragraph, its quotation marks set full width."""
    escaped = escape(text)
    for mark, wide in _QUOTES.items():
        escaped = escaped.replace(mark, wide)
    return escaped


def render_acceptance_notice(case: Case) -> bytes:
    """Make and sign the acceptance notice of an accepted case, from what the case records.

    Signing takes about 0.2 s: the notice is made once, after acceptance, and kept on the case
    (``actions.keep_acceptance_notice``); everything else serves or archives the kept file.
    """
    if case.accepted_on is None:
        raise ValueError("the case has not been accepted")
    font = cjk_font()
    version = case.item_version
    issuer, dated = version.implementing_body, day(case.accepted_on)
    # A Chinese letter (GB/T 9704-2012 7.3.5): the salutation flush left, each paragraph
    # indented by two characters; the date four characters from the right, the issuer's name
    # centred over it:
    size = 11
    salutation = ParagraphStyle("salutation", fontName=font, fontSize=size, leading=19, wordWrap="CJK")
    body = ParagraphStyle("body", parent=salutation, firstLineIndent=2 * size)
    date_style = ParagraphStyle("date", parent=salutation, alignment=TA_RIGHT, rightIndent=4 * size)
    centre_over_date = (stringWidth(dated, font, size) - stringWidth(issuer, font, size)) / 2
    issuer_style = ParagraphStyle(
        "issuer", parent=date_style, rightIndent=max(0, 4 * size + centre_over_date), spaceBefore=12 * mm
    )
    number = ParagraphStyle("number", parent=salutation, fontSize=9, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=salutation, fontSize=18, leading=28, alignment=TA_CENTER)
    lines = [
        _("您于%(submitted)s提交的“%(item)s”申请，材料齐全、符合法定形式。本机关于%(accepted)s决定予以受理。")
        % {
            "submitted": day(case.submitted_at.astimezone().date()) if case.submitted_at else "—",
            "item": version.name,
            "accepted": dated,
        },
        _(
            "本机关承诺于 %(due)s 前办结（法定期限 %(statutory)s）。依法需要听证、检验、检测、专家评审的，所需时间不计入期限。"
        )
        % {
            "due": case.due_on.isoformat() if case.due_on else "",
            "statutory": case.statutory_due_on.isoformat() if case.statutory_due_on else "",
        }
        + (
            _("以上日期为预计，待国务院公布放假安排后确定；如有调整，将另行通知。")
            if case.due_is_provisional
            else _("法定办结日期为预计，待国务院公布放假安排后确定；如有调整，将另行通知。")
            if case.statutory_due_is_provisional
            else ""
        ),
        _("您可以凭办件编号在政务服务平台查询办理进度。咨询电话：%(phone)s；监督投诉电话：%(supervision)s。")
        % {"phone": version.consultation_phone, "supervision": version.supervision_phone},
    ]
    story = [
        Paragraph(escape(_("受理通知书")), title),
        Paragraph(escape(_("办件编号：%(reference)s") % {"reference": case.reference}), number),
        Spacer(1, 6 * mm),
        Paragraph(chinese_typography(_("%(applicant)s：") % {"applicant": case.applicant_name}), salutation),
    ]
    story += [Paragraph(chinese_typography(line), body) for line in lines]
    story += [Paragraph(escape(issuer), issuer_style), Paragraph(escape(dated), date_style)]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        title=f"受理通知书 {case.reference}",
        author=version.implementing_body,
        creator=settings.PLATFORM_NAME,
        initialFontName=font,
        initialFontSize=11,
    ).build(story)
    # Signed by the bureau's key as its licences are, the seal over the implementing body's name:
    return sign_notice(
        buffer.getvalue(), authority=version.implementing_body, title="业务受理专用章", reason=_("受理通知")
    )
