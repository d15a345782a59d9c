"""Documents a case produces: the acceptance notice (受理通知书)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from django.conf import settings
from django.utils.translation import gettext as _

from govhall.cases.models import Case
from govhall.lib.pdf import cjk_font


def render_acceptance_notice(case: Case) -> bytes:
    """The acceptance notice of an accepted case, from what the case records (same every time)."""
    if case.accepted_on is None:
        raise ValueError("the case has not been accepted")
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=19, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=28, alignment=TA_CENTER)
    version = case.item_version
    lines = [
        _("%(applicant)s：") % {"applicant": case.applicant_name},
        _(
            "您于 %(submitted)s 提交的“%(item)s”申请材料齐全、符合法定形式，本机关决定予以受理。"
            "办件编号 %(reference)s，受理日期 %(accepted)s。"
        )
        % {
            "submitted": case.submitted_at.astimezone().date().isoformat() if case.submitted_at else "",
            "item": version.name,
            "reference": case.reference,
            "accepted": case.accepted_on.isoformat(),
        },
        _(
            "本机关承诺于 %(due)s 前办结（法定期限 %(statutory)s）。依法需要听证、检验、检测、专家评审的，所需时间不计入期限。"
        )
        % {
            "due": case.due_on.isoformat() if case.due_on else "",
            "statutory": case.statutory_due_on.isoformat() if case.statutory_due_on else "",
        },
        _("咨询电话：%(phone)s；监督投诉电话：%(supervision)s。")
        % {"phone": version.consultation_phone, "supervision": version.supervision_phone},
        "",
        f"{version.implementing_body}",
        case.accepted_on.isoformat(),
    ]
    story = [Paragraph(escape(_("受理通知书")), title), Spacer(1, 8 * mm)]
    story += [Paragraph(escape(line) or "&nbsp;", body) for line in lines]
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
    return buffer.getvalue()
