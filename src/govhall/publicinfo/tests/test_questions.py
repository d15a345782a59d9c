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
