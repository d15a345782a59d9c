"""咨询: a question asked online is answered at the desk and becomes an FAQ of its item after review and approval."""

from __future__ import annotations

from typing import Any

import pytest

from django.core.exceptions import ValidationError
from django.test import Client

from govhall.catalog.models import ServiceItem
from govhall.identity.models import User
from govhall.publicinfo import actions, queries
from govhall.publicinfo.models import Question

pytestmark = pytest.mark.django_db


def test_a_question_becomes_an_faq_of_its_item(
    zh_client: Client, desk: Any, helen: User, grace: User, felling: ServiceItem
) -> None:
    page = zh_client.post(
        "/info/ask/", {"asker_name": "陈女士", "text": "采伐自家山上的树要办证吗？", "item": felling.pk}
    )
    assert page.status_code == 200 and "咨询已收到" in page.content.decode()
    question = Question.objects.get()
    editor = desk(helen)
    assert "采伐自家山上的树要办证吗" in editor.get("/desk/info/").content.decode()
    page = editor.post(f"/desk/info/questions/{question.public_id}/", {"step": "faq"}, follow=True)
    assert "请先答复这条咨询" in page.content.decode()
    editor.post(f"/desk/info/questions/{question.public_id}/", {"step": "answer", "answer": "需要，除零星林木外。"})
    response = editor.post(f"/desk/info/questions/{question.public_id}/", {"step": "faq"})
    assert response.status_code == 302
    question.refresh_from_db()
    faq = question.faq
    assert faq is not None and faq.kind == "faq" and faq.body == "需要，除零星林木外。"
    assert queries.entries_for_item(felling) == []  # a draft until reviewed and approved
    actions.record_secrecy_review(faq, actor=helen, passed=True)
    actions.approve(faq, actor=grace)
    assert queries.entries_for_item(felling) == [faq]
    assert "采伐自家山上的树要办证吗" in zh_client.get("/info/faq/").content.decode()


def test_script_in_a_question_is_refused_and_nothing_stored(zh_client: Client) -> None:
    with pytest.raises(ValidationError, match="不要包含网页代码或脚本"):
        actions.ask_question(asker_name="x", text="<script>alert(1)</script>")
    page = zh_client.post("/info/ask/", {"asker_name": "x", "text": '<a href="javascript:alert(1)">点</a>'})
    assert page.status_code == 400 and "不要包含网页代码或脚本" in page.content.decode()
    assert not Question.objects.exists()


def test_an_error_reported_on_a_guide_reaches_the_catalog_editors_and_is_answered_at_the_desk(
    zh_client: Client, desk: Any, helen: User, grace: User, felling: ServiceItem
) -> None:
    from govhall.catalog.queries import live_versions

    guide = live_versions().get(item=felling)
    page = zh_client.get(f"/items/{guide.public_id}/").content.decode()
    link = f"/info/report-error/?page=/items/{guide.public_id}/"
    assert link in page  # 我要纠错 on every public page, naming the page
    form = zh_client.get(link).content.decode()
    assert f"/items/{guide.public_id}/" in form
    done = zh_client.post(
        "/info/report-error/", {"page": f"/items/{guide.public_id}/", "text": "办理地点已搬到海沧区行政服务中心三楼。"}
    )
    assert done.status_code == 200 and "纠错意见已收到" in done.content.decode()
    report = Question.objects.get()
    assert (report.kind, report.item) == ("error", felling)
    catalog_desk = desk(grace).get("/desk/catalog/").content.decode()
    assert "网民对办事指南的纠错" in catalog_desk and "办理地点已搬到" in catalog_desk
    editor = desk(helen)
    editor.post(
        f"/desk/info/questions/{report.public_id}/", {"step": "answer", "answer": "已核实，新版本已更正办理地点。"}
    )
    report.refresh_from_db()
    assert report.answered_at is not None
    with pytest.raises(ValidationError, match="不能转为常见问题"):
        actions.draft_faq_from(report, actor=helen, department=helen.memberships.get().department)
    assert "网民对办事指南的纠错" not in desk(grace).get("/desk/catalog/").content.decode()
    # It counts toward the response-time indicator, split by kind:
    from django.utils import timezone

    from govhall.stats import actions as stats
    from govhall.stats import queries as figures
    from govhall.stats.measures import MEASURES

    stats.compute_day(timezone.localdate())
    scope, month = figures.Scope(None, ""), timezone.localdate().replace(day=1)
    assert figures.month_figures(month, scope).values["questions_on_time"] == 100.0
    [part] = figures.breakdown(MEASURES["questions_on_time"], scope, month, by="facet")
    assert (part["label"], part["numerator"]) == ("纠错", 1)


def test_an_error_report_with_an_outside_page_or_script_is_refused(zh_client: Client) -> None:
    for page, text in (("https://evil.example/", "错了"), ("/items/", "<script>alert(1)</script>")):
        response = zh_client.post("/info/report-error/", {"page": page, "text": text})
        assert response.status_code == 400
    assert not Question.objects.exists()
    assert (
        "请从页面底部的“我要纠错”进入"
        in zh_client.post("/info/report-error/", {"page": "//evil.example/", "text": "错了"}).content.decode()
    )
