"""The documents of a delivery: the decision letter (行政许可决定书) and the EMS label (100 × 150 mm)."""

from __future__ import annotations

import io
import uuid
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import code128
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Frame, Paragraph, SimpleDocTemplate, Spacer

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.cases.constants import Decision
from govhall.cases.documents import chinese_typography
from govhall.cases.messages import day, licence_of
from govhall.cases.models import Case
from govhall.delivery.models import Delivery, Shipment
from govhall.lib.pdf import cjk_font
from govhall.lib.signing import sign_notice
from govhall.lib.storage import save_until_committed

LABEL_SIZE = (100 * mm, 150 * mm)


def render_decision(case: Case) -> bytes:
    """The decision letter of a decided case, from what the case records; signed by the bureau."""
    font = cjk_font()
    version = case.item_version
    approved = case.decision == Decision.APPROVE
    size = 11
    text = ParagraphStyle("text", fontName=font, fontSize=size, leading=19, wordWrap="CJK")
    body = ParagraphStyle("body", parent=text, firstLineIndent=2 * size)
    right = ParagraphStyle("right", parent=text, alignment=TA_RIGHT, rightIndent=2 * size)
    number = ParagraphStyle("number", parent=text, fontSize=9, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=text, fontSize=18, leading=28, alignment=TA_CENTER)
    decided = case.events.filter(kind__in=["approved", "denied", "higher_decision"]).order_by("-pk").first()
    dated = day(timezone.localdate(decided.created_at) if decided else timezone.localdate())
    licence = licence_of(case) if approved else None
    lines = [
        _("你（单位）于%(submitted)s提出的“%(item)s”申请（办件编号 %(reference)s），本机关已依法审查。")
        % {
            "submitted": day(timezone.localdate(case.submitted_at)) if case.submitted_at else "—",
            "item": version.name,
            "reference": case.reference,
        },
        (
            _("经审查，%(reason)s依据%(basis)s，本机关决定准予行政许可。")
            if approved
            else _("经审查，%(reason)s依据%(basis)s，本机关决定不予行政许可。")
        )
        % {"reason": case.decision_reason.rstrip("。") + "。", "basis": case.decision_basis or "—"},
    ]
    if licence is not None:
        lines.append(
            _(
                "本机关同时颁发电子证照“%(name)s”（证照编号 %(number)s），与纸质证照具有同等法律效力，可在政务服务平台核验。"
            )
            % {"name": licence.licence_type.name, "number": licence.number}
        )
    if not approved:
        lines.append(
            _(
                "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。"
            )
        )
    story = [
        Paragraph(escape(_("准予行政许可决定书") if approved else _("不予行政许可决定书")), title),
        Paragraph(escape(_("办件编号：%(reference)s") % {"reference": case.reference}), number),
        Spacer(1, 6 * mm),
        Paragraph(chinese_typography(_("%(applicant)s：") % {"applicant": case.applicant_name}), text),
        *[Paragraph(chinese_typography(line), body) for line in lines],
        Spacer(1, 14 * mm),
        Paragraph(escape(version.implementing_body), right),
        Paragraph(escape(dated), right),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
        title=f"行政许可决定书 {case.reference}", author=version.implementing_body, creator=settings.PLATFORM_NAME,
    ).build(story)  # fmt: skip
    return sign_notice(buffer.getvalue(), authority=version.implementing_body, title="行政许可专用章",
                       reason=_("行政许可决定"))  # fmt: skip


def keep_decision(delivery: Delivery) -> None:
    """Make, sign and keep the case's decision letter (removed again if the transaction rolls back)."""
    name = save_until_committed(
        f"delivery/{delivery.public_id}/decision-{uuid.uuid4().hex}.pdf",
        ContentFile(render_decision(delivery.case)),
        storage=delivery.decision_document.storage,
    )
    delivery.decision_document.name = name
    delivery.save(update_fields=["decision_document"])


def render_label(shipment: Shipment) -> bytes:
    """The waybill's label for a 100 × 150 mm thermal printer: barcode, receiver, sender, contents.

    A privacy label (隐私面单): the receiver's phone is masked; EMS has it in full from the order.
    """
    phone = shipment.delivery.phone_masked
    font = cjk_font()
    width, height = LABEL_SIZE
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LABEL_SIZE)
    pdf.setTitle(f"EMS {shipment.waybill_no}")
    pdf.setAuthor(settings.DELIVERY_SENDER["name"])
    margin = 4 * mm
    pdf.setFont(font, 14)
    pdf.drawString(margin, height - 10 * mm, _("中国邮政 EMS · 政务专递"))
    number = str(shipment.waybill_no)
    barcode = code128.Code128(number, barHeight=18 * mm, barWidth=0.42 * mm, humanReadable=False)
    barcode.drawOn(pdf, (width - barcode.width) / 2, height - 34 * mm)
    pdf.setFont(font, 12)
    pdf.drawCentredString(width / 2, height - 40 * mm, f"{number[:2]} {number[2:6]} {number[6:10]} {number[10:]}")
    pdf.line(margin, height - 43 * mm, width - margin, height - 43 * mm)
    sender = settings.DELIVERY_SENDER
    style = ParagraphStyle("label", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    big = ParagraphStyle("big", parent=style, fontSize=12, leading=17)
    blocks = [
        (_("收件人"), big, f"{shipment.recipient}　{phone}", shipment.address, 46),
        (_("寄件人"), style, f"{sender['name']}　{sender['phone']}", sender["address"], 30),
    ]
    top = height - 45 * mm
    for heading, block_style, who, where, block_height in blocks:
        frame = Frame(margin, top - block_height * mm, width - 2 * margin, block_height * mm, showBoundary=0,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)  # fmt: skip
        frame.addFromList(
            [
                Paragraph(escape(heading), style),
                Paragraph(escape(who), block_style),
                Paragraph(escape(where), block_style),
            ],
            pdf,
        )
        top -= block_height * mm
        pdf.line(margin, top, width - margin, top)
    case = shipment.delivery.case
    pdf.setFont(font, 9)
    pdf.drawString(margin, top - 6 * mm, _("内件：%(item)s 审批结果") % {"item": case.item_version.name[:24]})
    pdf.setFont(font, 6.5)  # the order id is the case reference and the attempt: up to 64 characters
    pdf.drawString(margin, top - 11 * mm, _("订单号：%(order)s") % {"order": shipment.order_id})
    pdf.setFont(font, 9)
    pdf.drawString(margin, 6 * mm, _("请收件人本人签收，并出示身份证件。"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def keep_label(shipment: Shipment) -> None:
    name = save_until_committed(
        f"delivery/{shipment.delivery.public_id}/label-{shipment.waybill_no}.pdf",
        ContentFile(render_label(shipment)),
        storage=shipment.label.storage,
    )
    shipment.label.name = name
    shipment.save(update_fields=["label"])
