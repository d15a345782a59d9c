"""A case at its 缴费 step, and the finance platform's sandbox as a real HTTP server."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from govhall.cases import actions as case_actions
from govhall.cases.models import Case
from govhall.cases.tests.conftest import frank, material_files  # noqa: F401 - fixtures
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User
from govhall.lib.sandbox import serve_in_thread
from govhall.payments.sandbox_finance import FinanceSandbox

SECRET = "test-finance-secret-0123456789"
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}


@dataclass
class Finance:
    sandbox: FinanceSandbox
    url: str

    def control(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.url + "/control/" + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result


@pytest.fixture
def finance(settings: Any) -> Iterator[Finance]:
    """The sandbox platform on a free port; the platform pointed at it with the shared secret."""
    settings.FINANCE_SECRET = SECRET
    settings.PAYMENT_RETRY_BASE_SECONDS = 30
    sandbox = FinanceSandbox(SECRET)
    with serve_in_thread(sandbox) as url:
        settings.FINANCE_URL = url
        settings.FINANCE_TIMEOUT = 2
        yield Finance(sandbox, url)


@pytest.fixture
def land_use(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:  # noqa: F811
    """临时使用林地审批: accept, review, decision, 缴费 (after approval), close, deliver; one reducible fee."""
    forestry = departments["forestry"]
    steps = [
        {"order": n, "name": name, "kind": kind, "role": role, "department": forestry, "time_limit": days}
        for n, (name, kind, role, days) in enumerate(
            [
                ("受理", "accept", "clerk", 0),
                ("审查", "review", "reviewer", 2),
                ("决定", "decision", "approver", 2),
                ("缴费", "fee", "clerk", 0),
                ("办结", "close", "clerk", 0),
                ("送达", "deliver", "clerk", 1),
            ],
            start=1,
        )
    ]
    draft = create_draft(
        helen,
        forestry,
        code_suffix="00002000",
        overrides={"has_fee": True, "fee_basis": "《中华人民共和国森林法》第三十七条", "online_payment": True},
        steps=steps,
    )
    draft.fees.create(
        order=1,
        name="森林植被恢复费",
        standard="乔木林地每平方米10元；灌木林地每平方米6元；宜林地每平方米3元。",
        basis="财税〔2015〕122号",
        income_code="1030414",
        is_reducible=True,
        reduction_basis="农村居民按规定标准建设住宅的，免征。",
    )
    return publish(draft, helen, grace)


@pytest.fixture
def at_fee_step(
    land_use: ItemVersion,
    alice: User,
    bob: User,
    frank: User,  # noqa: F811
    grace: User,  # noqa: F811
) -> Case:
    """Alice's application, accepted by Bob, reviewed by Frank, approved by Grace: now at 缴费."""
    case = case_actions.submit_case(
        land_use, applicant=alice, form_data=FORM, submit_key="fee-1", files=material_files(land_use)
    )
    case = case_actions.accept_case(case, actor=bob)
    case = case_actions.complete_step(case, actor=frank, opinion="用地必要，面积属实。")
    case = case_actions.decide_case(
        case, actor=grace, decision="approve", reason="符合临时使用林地条件。", legal_basis="《森林法》第三十八条"
    )
    return case
