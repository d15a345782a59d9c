"""The payment notice (缴款通知书): what is due, on what basis, by when, and how to pay; signed by the bureau."""

from __future__ import annotations

import io
import uuid
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.cases.documents import chinese_typography
from govhall.cases.messages import day
from govhall.lib.pdf import cjk_font
from govhall.lib.signing import sign_notice
from govhall.lib.storage import save_until_committed
from govhall.lib.urls import public_url
from govhall.payments.models import PaymentOrder


def render_notice(order: PaymentOrder) -> bytes:
    """The notice of ``order`` as a signed PDF (the seal over the implementing body's name)."""
    font = cjk_font()
    case = order.case
    version = case.item_version
    size = 10.5
    text = ParagraphStyle("text", fontName=font, fontSize=size, leading=17, wordWrap="CJK")
    body = ParagraphStyle("body", parent=text, firstLineIndent=2 * size)
    title = ParagraphStyle("title", parent=text, fontSize=18, leading=28, alignment=TA_CENTER)
    right = ParagraphStyle("right", parent=text, alignment=TA_RIGHT)
    cell = ParagraphStyle("cell", parent=text, fontSize=9, leading=13)
    rows = [
        [
            Paragraph(escape(h), cell)
            for h in (_("收费项目"), _("项目编码"), _("收费依据"), _("核定说明"), _("金额（元）"))
        ]
    ]
    for line in order.lines.all():
        rows.append(
            [
                Paragraph(escape(line.name), cell),
                Paragraph(escape(line.income_code or "—"), cell),
                Paragraph(chinese_typography(line.basis), cell),
                Paragraph(chinese_typography(line.assessment), cell),
                Paragraph(f"{line.amount:,.2f}", ParagraphStyle("n", parent=cell, alignment=TA_RIGHT)),
            ]
        )
    rows.append(["", "", "", Paragraph(escape(_("合计")), cell),
                 Paragraph(f"{order.total:,.2f}", ParagraphStyle("t", parent=cell, alignment=TA_RIGHT))])  # fmt: skip
    table = Table(rows, colWidths=[30 * mm, 20 * mm, 45 * mm, 45 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f9")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    issued = day(timezone.localdate(order.issued_at) if order.issued_at else timezone.localdate())
    story = [
        Paragraph(escape(_("缴款通知书")), title),
        Paragraph(escape(_("缴款码：%(code)s") % {"code": order.payment_code}), right),
        Spacer(1, 4 * mm),
        Paragraph(chinese_typography(_("%(payer)s：") % {"payer": order.payer_name}), text),
        Paragraph(
            chinese_typography(
                _(
                    "您申请的“%(item)s”（办件编号 %(reference)s），依法应缴纳下列费用，合计人民币 %(total)s 元。请于 %(due)s 前缴纳。"
                )
                % {
                    "item": version.name,
                    "reference": case.reference,
                    "total": f"{order.total:,.2f}",
                    "due": day(order.due_on),
                }  # fmt: skip
            ),
            body,
        ),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 3 * mm),
        Paragraph(
            chinese_typography(
                _(
                    "缴费方式：登录政务服务平台（%(url)s），在“我的办件”中按缴款码网上缴费；或持本通知到办事大厅窗口刷卡缴费。缴费后由财政部门出具非税收入电子票据。逾期未缴的，缴款码失效，请联系承办部门。"
                )
                % {"url": public_url("/")}
            ),
            body,
        ),
        Paragraph(chinese_typography(_("咨询电话：%(phone)s。") % {"phone": version.consultation_phone}), body),
        Spacer(1, 12 * mm),
        Paragraph(escape(version.implementing_body), right),
        Paragraph(escape(issued), right),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm,
        title=f"缴款通知书 {order.payment_code}", author=version.implementing_body, creator=settings.PLATFORM_NAME,
    ).build(story)  # fmt: skip
    return sign_notice(buffer.getvalue(), authority=version.implementing_body, title="业务专用章", reason=_("缴款通知"))


def keep_notice(order: PaymentOrder) -> None:
    """Make, sign and keep the order's notice (removed again if the caller's transaction rolls back)."""
    name = save_until_committed(
        f"payments/{order.public_id}/notice-{uuid.uuid4().hex}.pdf",
        ContentFile(render_notice(order)),
        storage=order.notice.storage,
    )
    order.notice.name = name
    order.save(update_fields=["notice"])
