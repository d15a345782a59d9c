"""A decided case and EMS's sandbox as a real HTTP server."""

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
from govhall.delivery import actions
from govhall.delivery.sandbox_ems import EmsSandbox
from govhall.identity.models import Department, User
from govhall.lib.sandbox import serve_in_thread

SECRET = "test-ems-secret-0123456789"
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}
HOME = actions.Address(recipient="陈爱丽", phone="13800000001", region_code="350205", address="东孚街道鼎美村128号")


@dataclass
class Ems:
    sandbox: EmsSandbox
    url: str

    def control(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.url + "/control/" + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result


@pytest.fixture
def ems(settings: Any) -> Iterator[Ems]:
    """The sandbox EMS on a free port; the platform pointed at it with the shared secret."""
    settings.EMS_SECRET = SECRET
    settings.DELIVERY_RETRY_BASE_SECONDS = 30
    sandbox = EmsSandbox(SECRET)
    with serve_in_thread(sandbox) as url:
        settings.EMS_URL, settings.EMS_TIMEOUT = url, 2
        yield Ems(sandbox, url)


@pytest.fixture
def posted(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:  # noqa: F811
    """The felling licence item: in the hall, by post and online; accept, review, decision, close, deliver."""
    forestry = departments["forestry"]
    steps = [
        {"order": n, "name": name, "kind": kind, "role": role, "department": forestry, "time_limit": days}
        for n, (name, kind, role, days) in enumerate(
            [
                ("受理", "accept", "clerk", 0),
                ("审查", "review", "reviewer", 2),
                ("决定", "decision", "approver", 1),
                ("办结", "close", "clerk", 0),
                ("送达", "deliver", "clerk", 1),
            ],  # fmt: skip
            start=1,
        )
    ]
    overrides = {"express_delivery": True, "in_hall": True, "is_online": True, "address": "海沧区行政服务中心2楼12号窗口",
                 "hours": "工作日 8:30–12:00，14:30–17:30"}  # fmt: skip
    return publish(create_draft(helen, forestry, overrides=overrides, steps=steps), helen, grace)


@pytest.fixture
def decided(posted: ItemVersion, alice: User, bob: User, frank: User, grace: User) -> Case:  # noqa: F811
    """Alice's application, accepted by Bob, reviewed by Frank, approved by Grace (not yet closed)."""
    case = case_actions.submit_case(
        posted, applicant=alice, form_data=FORM, submit_key="deliver-1", files=material_files(posted)
    )
    case = case_actions.accept_case(case, actor=bob)
    case = case_actions.complete_step(case, actor=frank, opinion="采伐地点与面积属实。")
    return case_actions.decide_case(
        case, actor=grace, decision="approve", reason="符合采伐限额和技术规程。", legal_basis="《森林法》第五十六条"
    )


def close_and_prepare(case: Case, bob: User) -> Case:
    """The clerk closes the case; the delivery round reads the feed and makes the result ready."""
    case = case_actions.close_case(case, actor=bob)
    actions.consume_case_events()
    case.refresh_from_db()
    return case
