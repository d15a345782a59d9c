"""The register of the bureau's own rules (规范性文件清理): each rule in force reviewed — keep, amend or repeal, and why."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.core.exceptions import ValidationError

from govhall.audit.models import AuditRecord
from govhall.identity.models import User
from govhall.lib.errors import Conflict
from govhall.publicinfo import actions, queries
from govhall.publicinfo.models import Entry, RuleReview

from .conftest import policy_data

pytestmark = pytest.mark.django_db


def test_a_rule_in_force_is_reviewed_and_its_latest_review_is_its_status_across_versions(
    published: Entry, helen: User, grace: User, desk: Any
) -> None:
    assert [(rule, review) for rule, review in queries.own_rules(helen)] == [(published, None)]
    with pytest.raises(ValidationError) as refused:
        actions.review_rule(published, actor=helen, decision="burn", reason="")
    assert set(refused.value.message_dict) == {"decision", "reason"}
    with pytest.raises(ValidationError):
        actions.review_rule(published, actor=helen, decision="amend", reason="<script>alert(1)</script>")
    assert not RuleReview.objects.exists()

    actions.review_rule(
        published, actor=helen, decision="amend", reason="第五条仍要求提交纸质申请表，与网上办理不相适应。"
    )
    # A correction (the amended text) keeps the rule's place in the register and its review:
    correction = actions.start_correction(published, actor=helen)
    actions.update_draft(correction, actor=helen, data=policy_data(change_note="删除第五条纸质材料要求"))
    actions.record_secrecy_review(correction, actor=helen, passed=True)
    amended = actions.approve(correction, actor=grace)
    [(rule, review)] = queries.own_rules(helen)
    assert rule == amended and review is not None and review.get_decision_display() == "拟修改"
    actions.review_rule(amended, actor=grace, decision="keep", reason="已删除纸质材料要求，继续有效。")
    assert queries.own_rules(grace)[0][1].decision == "keep"
    assert AuditRecord.objects.filter(event="publicinfo.rule_reviewed").count() == 2

    page = desk(grace).get("/desk/info/rules/").content.decode()
    assert "本单位规范性文件清理" in page and "继续有效" in page and "已删除纸质材料要求" in page


def test_a_repealed_rule_leaves_the_register_and_cannot_be_reviewed(published: Entry, helen: User, grace: User) -> None:
    correction = actions.start_correction(published, actor=helen)
    actions.update_draft(
        correction, actor=helen,
        data=policy_data(validity="repealed", repealed_on=datetime.date(2026, 12, 1), change_note="废止"),
    )  # fmt: skip
    actions.record_secrecy_review(correction, actor=helen, passed=True)
    repealed = actions.approve(correction, actor=grace)
    assert queries.own_rules(helen) == []
    with pytest.raises(Conflict):
        actions.review_rule(repealed, actor=helen, decision="keep", reason="仍然有效吗？")
