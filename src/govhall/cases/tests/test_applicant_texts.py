"""What the applicant is told: each message names the item, the outcome and what to do next;
the case page follows the case's state; files are described, never by their MIME type;
the acceptance notice is set in Chinese typography."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from pypdf import PdfReader

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from conftest import ALICE_ID, PASSWORD
from govhall.cases import actions
from govhall.cases.documents import render_acceptance_notice
from govhall.cases.models import Case
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User
from govhall.licences.models import Licence
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    felling_type,
    forest_right_type,
    licensed_felling,
)
from govhall.proactive.models import Notification

from .conftest import pdf_bytes

pytestmark = pytest.mark.django_db
ITEM = "林木采伐许可证核发"
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}


def _files(version: ItemVersion, *, photo: bool = False) -> dict[int, Any]:
    """A one-page PDF for every material; with ``photo``, a JPEG for the last one."""
    from PIL import Image

    files: dict[int, Any] = {
        m.pk: SimpleUploadedFile("scan.pdf", pdf_bytes(), content_type="application/pdf")
        for m in version.materials.all()
    }
    if photo:
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), "green").save(buffer, "JPEG")
        last = max(files)
        files[last] = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")
    return files


def _submit(version: ItemVersion, alice: User, key: str, **kwargs: Any) -> Case:
    return actions.submit_case(
        version, applicant=alice, form_data=FORM, submit_key=key, files=_files(version, **kwargs)
    )


def _told(alice: User, case: Case) -> list[tuple[str, str]]:
    """(subject, body) of every message alice received about ``case``, oldest first."""
    return list(
        Notification.objects.filter(recipient=alice, link=f"/my/cases/{case.public_id}/")
        .order_by("pk")
        .values_list("subject", "body")
    )


def _walk_to_a_licence(version: ItemVersion, alice: User, bob: User, frank: User, grace: User) -> Case:
    """Submitted, corrected before acceptance, accepted, extended, paused for an expert review, approved, closed."""
    case = _submit(version, alice, "licence")
    case = actions.request_correction(case, actor=bob, items=["补充采伐地点示意图。", "林木采伐申请表缺少签名"])
    case = actions.answer_correction(case, applicant=alice, note="已补充示意图并签名")
    case = actions.accept_case(case, actor=bob)
    case = actions.request_extension(case, actor=bob, days=3, reason="需要补充调查。")
    case = actions.approve_extension(case, actor=grace)
    case = actions.start_special_procedure(case, actor=frank, procedure="专家评审", note="伐区面积较大")
    case = actions.end_special_procedure(case, actor=frank, note="专家同意")
    case = actions.complete_step(case, actor=frank, opinion="符合采伐限额。")
    case = actions.decide_case(
        case, actor=grace, decision="approve", reason="符合采伐条件。", legal_basis="《森林法》第五十六条"
    )
    return actions.close_case(case, actor=bob)


def _walk_to_a_denial(version: ItemVersion, alice: User, bob: User, frank: User, grace: User) -> Case:
    case = actions.accept_case(_submit(version, alice, "denied"), actor=bob)
    case = actions.complete_step(case, actor=frank, opinion="位于公益林内。")
    case = actions.decide_case(
        case,
        actor=grace,
        decision="deny",
        reason="采伐地块位于国家级公益林内。",
        legal_basis="《国家级公益林管理办法》第十三条",
    )
    return actions.close_case(case, actor=bob)


def test_each_message_names_the_item_the_outcome_and_what_to_do_next(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    frank: User,
    grace: User,
    on_day: Any,
) -> None:
    on_day("2026-09-24")  # due in 5 working days: 2026-10-09; +3 for the extension: 2026-10-13
    case = _walk_to_a_licence(licensed_felling, alice, bob, frank, grace)
    licence = Licence.objects.get(case_public_id=case.public_id)
    told = _told(alice, case)
    assert [subject for subject, _ in told] == [
        f"您的“{ITEM}”申请已提交，正在等待窗口受理；受理或需要补正时会再通知您。",
        f"您的“{ITEM}”申请需要补正2项内容，请在办件页面一次性补正后提交。",
        f"您对“{ITEM}”申请的补正已收到，正在等待窗口审核，目前不需要您做什么。",
        f"您的“{ITEM}”申请已受理，承诺于2026年10月9日前办结，目前不需要您做什么。",
        f"您的“{ITEM}”申请办理期限延长3个工作日，改为2026年10月13日前办结，目前不需要您做什么。",
        f"您的“{ITEM}”申请正在进行专家评审（特别程序），所需时间不计入办理时限，目前不需要您做什么。",
        f"您的“{ITEM}”申请的专家评审已结束，恢复办理，承诺于2026年10月13日前办结。",
        f"您的“{ITEM}”申请已准予，电子证照已发放，可在“我的证照”下载。",
        f"您的“{ITEM}”申请已办结（准予许可），电子证照可在“我的证照”下载。",
    ]
    bodies = [body for _, body in told]
    assert all(body.startswith(f"办件编号：{case.reference}") for body in bodies)
    # The list of corrections, each once, numbered; the clock had not started, so nothing pauses:
    assert (
        bodies[1] == f"办件编号：{case.reference}\n需要补正的内容：\n1. 补充采伐地点示意图\n2. 林木采伐申请表缺少签名"
    )
    assert "受理日期：2026年9月24日；承诺办结日期：2026年10月9日；法定办结日期：2026年10月29日。" in bodies[3]
    assert "延期理由：需要补充调查。" in bodies[4]
    assert f"证照：林木采伐许可证，证照编号{licence.number}，有效期至" in bodies[7]
    assert "理由：符合采伐条件。依据：《森林法》第五十六条。" in bodies[7]


def test_a_refusal_gives_its_reason_and_the_way_to_appeal(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    frank: User,
    grace: User,
) -> None:
    refused = actions.not_accept_case(
        _submit(licensed_felling, alice, "refused"),
        actor=bob,
        reason="采伐地点不在本区。",
        legal_basis="《中华人民共和国行政许可法》第三十二条",
    )
    (_, _), (subject, body) = _told(alice, refused)
    assert subject == f"您的“{ITEM}”申请不予受理，理由：采伐地点不在本区。理由、依据和救济途径见办件页面。"
    assert body == (
        f"办件编号：{refused.reference}\n"
        "理由：采伐地点不在本区。依据：《中华人民共和国行政许可法》第三十二条。\n"
        "条件具备后，您可以重新提交申请。\n"
        "如有异议，可在收到决定之日起60日内申请行政复议，或在6个月内提起行政诉讼。"
    )
    denied = _walk_to_a_denial(licensed_felling, alice, bob, frank, grace)
    subjects = [subject for subject, _ in _told(alice, denied)]
    assert subjects[-2:] == [
        f"您的“{ITEM}”申请不予许可，理由：采伐地块位于国家级公益林内。理由、依据和救济途径见办件页面。",
        f"您的“{ITEM}”申请已办结（不予许可），理由、依据和救济途径见办件页面。",
    ]
    withdrawn = actions.withdraw_case(_submit(licensed_felling, alice, "withdrawn"), applicant=alice, reason="暂不采伐")
    assert _told(alice, withdrawn)[-1] == (
        f"您的“{ITEM}”申请已撤回，办理终止；如需办理，可以重新提交申请。",
        f"办件编号：{withdrawn.reference}\n撤回原因：暂不采伐。",
    )


def test_an_approval_without_a_licence_says_where_to_read_the_decision(
    helen: User, grace: User, bob: User, frank: User, alice: User, departments: dict[str, Department]
) -> None:
    version = publish(create_draft(helen, departments["forestry"], code_suffix="00009000"), helen, grace)
    case = actions.accept_case(_submit(version, alice, "plain"), actor=bob)
    case = actions.complete_step(case, actor=frank, opinion="符合条件")
    actions.decide_case(case, actor=grace, decision="approve", reason="符合条件", legal_basis="《森林法》")
    assert _told(alice, case)[-1][0] == f"您的“{ITEM}”申请已准予许可，决定理由和依据可在办件页面查看。"


def test_messages_are_written_in_english_for_an_applicant_who_chose_it(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    frank: User,
    grace: User,
    on_day: Any,
) -> None:
    alice.language = "en"
    alice.save(update_fields=["language"])
    on_day("2026-09-24")
    with translation.override("zh-hans"):  # the staff work in Chinese
        case = _walk_to_a_licence(licensed_felling, alice, bob, frank, grace)
        refused = actions.not_accept_case(
            _submit(licensed_felling, alice, "refused"), actor=bob, reason="采伐地点不在本区", legal_basis="第三十二条"
        )
    item = f'"{ITEM}"'
    assert [subject for subject, _ in _told(alice, case)] == [
        f"Your application for {item} has been submitted and is waiting to be accepted; "
        "we will tell you when it is accepted or needs correcting.",
        f"Your application for {item} needs 2 corrections; please make them all at once on the case page "
        "and submit them.",
        f"Your correction to the application for {item} has been received and is waiting to be checked; "
        "nothing is needed from you now.",
        f"Your application for {item} has been accepted and will be decided by Oct. 9, 2026; "
        "nothing is needed from you now.",
        f"The time limit for your application for {item} has been extended by 3 working days; "
        "it will be decided by Oct. 13, 2026. Nothing is needed from you now.",
        f"Your application for {item} is in a special procedure (专家评审); its time does not count towards "
        "the time limit. Nothing is needed from you now.",
        f"The special procedure (专家评审) for your application for {item} has ended; handling resumes "
        "and it will be decided by Oct. 13, 2026.",
        f"Your application for {item} has been approved; the electronic licence has been issued and can be "
        'downloaded under "My licences".',
        f'Your application for {item} is closed (approved); the electronic licence can be downloaded under "My licences".',
    ]
    subject, body = _told(alice, refused)[-1]
    assert subject == (
        f"Your application for {item} was not accepted. Reason: 采伐地点不在本区. "
        "The reason, legal basis and how to appeal are on the case page."
    )
    assert body.splitlines() == [
        f"Case number: {refused.reference}",
        "Reason: 采伐地点不在本区. Legal basis: 第三十二条.",
        "Once the conditions are met, you may apply again.",
        "If you disagree, you may apply for administrative reconsideration within 60 days of receiving the "
        "decision, or bring an administrative lawsuit within 6 months.",
    ]


# The case page ----------------------------------------------------------------------------------


# Where one block of text ends and the next begins:
BLOCKS = {
    "main",
    "section",
    "div",
    "p",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "table",
    "tr",
    "td",
    "th",
}
BLOCKS |= {"form", "label", "button", "textarea", "select", "option", "details", "summary", "br", "time"}


class _Text(HTMLParser):
    """The text a reader sees in <main>, one string per block (a list item, a paragraph, a label)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.buffer: list[str] = []
        self.chunks: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text:
            self.chunks.append(text)
        self.buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = self.inside or tag == "main"
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._flush()
        if tag == "main":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.buffer.append(data)


def _page(client: Client, case: Case) -> tuple[str, list[str]]:
    html = client.get(f"/my/cases/{case.public_id}/").content.decode()
    reader = _Text()
    reader.feed(html)
    return html, reader.chunks


def _progress(html: str) -> str:
    section = re.search(r'<section[^>]*id="next-step">(.*?)</section>', html, re.S)
    assert section
    return " ".join(re.sub(r"<[^>]+>", " ", section.group(1)).split())


# Punctuation that should never appear in Chinese copy: doubled full stops, a full stop before
# a semicolon or bracket, a half-width comma or colon after a Chinese character, a colon that
# ends a line with nothing after it:
STRAY = re.compile(r"。[。；，）(]|；。|[\u4e00-\u9fff][,:;]|：$")


def _applicant(client: Client) -> Client:
    client.post("/login/", {"account": ALICE_ID, "password": PASSWORD})
    return client


def test_the_case_page_says_what_the_state_of_the_case_calls_for(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    frank: User,
    grace: User,
    zh_client: Client,
) -> None:
    client = _applicant(zh_client)
    case = _submit(licensed_felling, alice, "page", photo=True)
    html, texts = _page(client, case)
    assert "申请已提交，等待窗口受理。目前不需要您做什么；受理后这里会显示承诺办结日期。" in _progress(html)
    case = actions.request_correction(case, actor=bob, items=["补充采伐地点示意图"])
    html, texts = _page(client, case)
    # Not accepted yet: there is no clock to pause.
    assert "需要您按下面列出的要求一次性补正。补正后，窗口再决定是否受理。" in _progress(html)
    assert "暂停" not in _progress(html)
    case = actions.accept_case(actions.answer_correction(case, applicant=alice, note="已补充"), actor=bob)
    case = actions.request_correction(case, actor=bob, items=["补充伐区调查设计文件"])
    assert "补正期间，办理时限暂停计算。" in _progress(_page(client, case)[0])
    case = actions.answer_correction(case, applicant=alice, note="已补充")
    html, texts = _page(client, case)
    assert f"正在办理，承诺于 {case.due_on.isoformat()} 前办结" in _progress(html)
    case = actions.complete_step(case, actor=frank, opinion="符合采伐限额。")
    case = actions.decide_case(
        case, actor=grace, decision="approve", reason="符合采伐条件。", legal_basis="《森林法》第五十六条。"
    )
    licence = Licence.objects.get(case_public_id=case.public_id)
    for state in ("approved", "closed"):
        html, texts = _page(client, case)
        progress = _progress(html)
        assert progress.startswith("当前进展 已准予许可，电子证照已发放，可在“我的证照”中下载和核验。")
        assert "理由：符合采伐条件。依据：《森林法》第五十六条。" in progress
        assert f'href="/my/licences/{licence.public_id}/licence.pdf"' in html
        assert "下载电子证照（林木采伐许可证，PDF）" in progress
        assert "签发后" not in html, state
        # The decision in the summary, without a full stop before its bracket:
        assert "准予：符合采伐条件（《森林法》第五十六条）" in texts
        assert not [t for t in texts if STRAY.search(t)], state
        # Nor does the workspace's list promise a date for a decided case:
        listed = client.get("/my/").content.decode().split('id="todo-title"')[1]
        assert "已办结" in listed or "准予许可" in listed
        assert "承诺办结日期" not in listed, state
        case = actions.close_case(case, actor=bob) if state == "approved" else case


def test_a_refused_or_withdrawn_case_points_to_the_guide_to_apply_again(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    zh_client: Client,
) -> None:
    client = _applicant(zh_client)
    refused = actions.not_accept_case(
        _submit(licensed_felling, alice, "refused"), actor=bob, reason="不在本区。", legal_basis="第三十二条。"
    )
    html, texts = _page(client, refused)
    assert _progress(html) == (
        "当前进展 申请不予受理。条件具备后，您可以重新提交申请。 理由：不在本区。依据：第三十二条。"
        "如有异议，可在收到决定之日起60日内申请行政复议，或在6个月内提起行政诉讼。 查看办事指南"
    )
    assert f'href="/items/{licensed_felling.public_id}/"' in html
    assert not [t for t in texts if STRAY.search(t)]
    withdrawn = actions.withdraw_case(_submit(licensed_felling, alice, "gone"), applicant=alice, reason="不采了")
    assert _progress(_page(client, withdrawn)[0]) == (
        "当前进展 您已撤回这件申请，办理已终止。如需办理，可以重新提交申请。 查看办事指南"
    )


def test_materials_are_described_by_kind_and_pages_never_by_mime_type(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    zh_client: Client,
    en_client: Client,
) -> None:
    files = _files(licensed_felling, photo=True)
    first = min(files)
    files[first] = SimpleUploadedFile("scan.pdf", pdf_bytes(3), content_type="application/pdf")
    case = actions.submit_case(licensed_felling, applicant=alice, form_data=FORM, submit_key="kinds", files=files)
    single = _submit(licensed_felling, alice, "single")
    html, texts = _page(_applicant(zh_client), case)
    assert "application/pdf" not in html and "image/jpeg" not in html
    described = [t for t in texts if t.startswith(("林木采伐申请表：", "林权证："))]
    assert re.fullmatch(r"林木采伐申请表：scan\.pdf（PDF，3 页，[\d.]+\s(?:字节|KB)）", described[0])
    assert re.fullmatch(r"林权证：photo\.jpg（JPEG 图片，[\d.]+\s(?:字节|KB)）", described[1])
    assert re.search(r"scan\.pdf</a>（PDF，1 页，", _page(zh_client, single)[0])
    html, texts = _page(_applicant(en_client), case)
    assert "application/pdf" not in html and "image/jpeg" not in html
    assert re.search(r"scan\.pdf</a> \(PDF, 3 pages, [\d.]+\s(?:bytes|KB)\)", html)
    assert re.search(r"photo\.jpg</a> \(JPEG image, [\d.]+\s(?:bytes|KB)\)", html)
    assert re.search(r"scan\.pdf</a> \(PDF, 1 page, ", _page(en_client, single)[0])


# The acceptance notice --------------------------------------------------------------------------


def test_the_acceptance_notice_is_set_in_chinese_typography(
    licensed_felling: ItemVersion,  # noqa: F811
    alice: User,
    bob: User,
    on_day: Any,
) -> None:
    on_day("2026-09-24")
    case = actions.accept_case(_submit(licensed_felling, alice, "notice"), actor=bob)
    with translation.override("zh-hans"):
        pdf = render_acceptance_notice(case)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # Full-width quotation marks: the narrow “ ” glyphs of the font take a full square, made up
    # on their outer side by no-break spaces:
    assert re.search(rf"提交的[\xa0 ]{{2}}“{ITEM}”[\xa0 ]{{2}}申请，材料齐全、符合法定形式。", text)
    assert "本机关于2026年9月24日决定予以受理。" in text
    assert f"办件编号：{case.reference}" in text
    # The issuer and the date close the notice, the date written as Chinese documents write it:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines.index(licensed_felling.implementing_body) < lines.index("2026年9月24日")
    assert '"' not in text
    assert not re.search(r"[\u4e00-\u9fff][,:;()]|[,;()][\u4e00-\u9fff]", text)
