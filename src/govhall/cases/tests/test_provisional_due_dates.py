"""Due dates in a year whose State Council holiday notice is not out yet (STANDARDS.md §5).

Today is December 2026 and the 2027 notice is not loaded: a case's due dates are counted on
the statutory holidays of the 全国年节及纪念日放假办法, marked provisional wherever they are
shown, and recounted when the notice is loaded.
"""

from __future__ import annotations

import datetime
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.test import Client

from govhall.cases import actions
from govhall.cases.models import Case, CaseEvent
from govhall.catalog.models import ItemVersion
from govhall.catalog.tests.factories import create_draft, publish
from govhall.identity.models import Department, User
from govhall.proactive.models import Notification

from .conftest import material_files

pytestmark = pytest.mark.django_db

D = datetime.date.fromisoformat
MARK = "预计，待国务院公布放假安排后确定"
FORM = {"location": "东孚镇鼎美村3林班", "volume": 12.5}

# A 2027 notice as the State Council might publish it (the test's own, not the real one):
# 元旦 01-01–01-03; 春节 02-05–02-13, make-up workdays Saturday 02-20.
NOTICE_2027 = [
    *((D(f"2027-01-0{d}"), "off", "元旦") for d in (1, 2, 3)),
    *((D("2027-02-05") + datetime.timedelta(days=n), "off", "春节") for n in range(9)),
    (D("2027-02-20"), "workday", "春节调休"),
]


@pytest.fixture
def twenty_days(helen: User, grace: User, departments: dict[str, Department]) -> ItemVersion:
    """An item decided within 20 working days, committed and statutory."""
    draft = create_draft(helen, departments["forestry"], code_suffix="00002000", overrides={"committed_limit": 20})
    return publish(draft, helen, grace)


def _accepted(version: ItemVersion, alice: User, bob: User, key: str = "k1") -> Case:
    case = actions.submit_case(version, applicant=alice, form_data=FORM, submit_key=key, files=material_files(version))
    return actions.accept_case(case, actor=bob)


def _staff(user: User, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _applicant(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_case_accepted_on_4_december_2026_skips_new_year_s_day_and_says_it_is_provisional_everywhere(
    twenty_days: ItemVersion, alice: User, bob: User, on_day: Any, tmp_path: Path
) -> None:
    on_day("2026-12-04")
    case = _accepted(twenty_days, alice, bob)
    # On plain weekdays the 20th working day was 2027-01-01, 元旦:
    assert case.due_on == case.statutory_due_on == D("2027-01-04")
    assert case.due_is_provisional and case.statutory_due_is_provisional

    desk = _text(_staff(bob).get(f"/desk/cases/{case.public_id}/").content.decode())
    assert f"承诺办结日期 2027-01-04 （{MARK}）" in desk
    assert f"法定办结日期 2027-01-04 （{MARK}）" in desk
    inbox = _text(_staff(bob).get("/desk/cases/").content.decode())
    assert f"2027-01-04 （{MARK}）" in inbox

    workspace = _text(_applicant(alice).get("/my/").content.decode())
    assert f"承诺办结日期 2027-01-04（{MARK}）" in workspace
    my_case = _text(_applicant(alice).get(f"/my/cases/{case.public_id}/").content.decode())
    assert "以上日期为预计，待国务院公布放假安排后确定；如有调整，将另行通知。" in my_case

    answer = _applicant(alice).get(f"/api/v1/cases/{case.public_id}/").json()
    assert answer["due_on"] == "2027-01-04" and answer["due_is_provisional"] is True
    assert answer["statutory_due_is_provisional"] is True
    schema = _staff(bob).get("/api/schema/?format=json").json()
    assert "预计，待国务院公布放假安排后确定" in schema["components"]["schemas"]["ApplicantCase"]["properties"][
        "due_is_provisional"
    ].get("description", "")

    (tmp_path / "notice.pdf").write_bytes(
        _applicant(alice).get(f"/my/cases/{case.public_id}/acceptance-notice.pdf").content
    )
    notice = subprocess.run(["pdftotext", str(tmp_path / "notice.pdf"), "-"], capture_output=True, text=True).stdout
    notice = re.sub(r"\s+", "", notice)
    assert (
        "2027-01-04前办结" in notice and "以上日期为预计，待国务院公布放假安排后确定；如有调整，将另行通知。" in notice
    )


def test_only_the_date_counted_into_the_year_without_its_notice_is_marked(
    felling: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    on_day("2026-12-04")
    case = _accepted(felling, alice, bob)  # 5 committed, 20 statutory working days
    assert (case.due_on, case.due_is_provisional) == (D("2026-12-11"), False)
    assert (case.statutory_due_on, case.statutory_due_is_provisional) == (D("2027-01-04"), True)
    desk = _text(_staff(bob).get(f"/desk/cases/{case.public_id}/").content.decode())
    assert f"承诺办结日期 2026-12-11 法定办结日期 2027-01-04 （{MARK}）" in desk
    assert desk.count(MARK) == 1


def test_loading_the_2027_notice_recounts_the_open_cases_and_tells_only_those_whose_dates_moved(
    twenty_days: ItemVersion, alice: User, bob: User, on_day: Any
) -> None:
    on_day("2026-12-04")
    unchanged = _accepted(twenty_days, alice, bob, key="a")  # 2027-01-04 on the rules and on the notice
    on_day("2027-01-25")
    moved = _accepted(twenty_days, alice, bob, key="b")
    # The rules: 春节 02-05, 02-08 and the weekend's two made up on 02-09, 02-10 — 20 days to 02-26.
    assert moved.due_on == D("2027-02-26") and moved.due_is_provisional
    # A correction pauses its clock from 02-01 to 02-15: 6 working days on the rules (02-02–02-04,
    # 02-11, 02-12, 02-15), so due 6 working days later:
    on_day("2027-02-01")
    actions.request_correction(moved, actor=bob, items=["采伐位置图比例不对"])
    on_day("2027-02-15")
    moved = actions.answer_correction(moved, applicant=alice, note="已更换")
    assert moved.paused_working_days == 6 and moved.due_on == D("2027-03-08")
    finished = _accepted(twenty_days, alice, bob, key="c")
    actions.withdraw_case(finished, applicant=alice, reason="不办了")
    told_before = Notification.objects.filter(recipient=alice).count()

    result = actions.load_holiday_notice(
        2027, source="国务院办公厅关于2027年部分节假日安排的通知", days=NOTICE_2027, actor=bob
    )

    assert result == {"days": 13, "moved": 1, "confirmed": 1}
    # The notice: 春节 02-05–02-13 off and Saturday 02-20 worked — 20 days from 01-25 end on
    # 03-01; the pause 02-01–02-15 was 4 working days (02-02–02-04, 02-15): due 03-05.
    moved.refresh_from_db()
    assert (moved.paused_working_days, moved.due_on, moved.statutory_due_on) == (4, D("2027-03-05"), D("2027-03-05"))
    assert not moved.due_is_provisional and not moved.statutory_due_is_provisional
    event = CaseEvent.objects.get(case=moved, kind="due_dates_recounted")
    assert event.get_kind_display() == "按放假安排重算办结日期" and event.actor == bob
    assert event.data["old_due_on"] == "2027-03-08" and event.data["due_on"] == "2027-03-05"
    (told,) = list(Notification.objects.filter(recipient=alice).order_by("pk"))[told_before:]
    assert told.subject == (
        "您的“林木采伐许可证核发”申请的办结日期已按国务院公布的2027年放假安排调整，承诺于2027年3月5日前办结。"
    )
    assert "承诺办结日期：2027年3月5日（原为2027年3月8日）" in told.body

    # The date that did not move only loses its mark, silently:
    unchanged.refresh_from_db()
    assert unchanged.due_on == D("2027-01-04") and not unchanged.due_is_provisional
    assert not CaseEvent.objects.filter(case=unchanged, kind="due_dates_recounted").exists()
    desk = _text(_staff(bob).get(f"/desk/cases/{unchanged.public_id}/").content.decode())
    assert "承诺办结日期 2027-01-04 法定办结日期 2027-01-04" in desk and MARK not in desk


def test_the_management_command_refuses_a_year_no_library_holds_a_notice_for() -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as refused:
        call_command("load_holidays", "2027")
    assert str(refused.value) == "chinese-calendar 和 python-holidays 库都没有 2027 年的国务院放假通知，请按通知录入。"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "zh-hans",
            "无法计算 2100 年的工作日：该年度的国务院放假安排尚未录入，且超出了按《全国年节及纪念日放假办法》"
            "推算的范围（2025—2099 年）。请系统管理员先录入该年度的放假安排。",
        ),
        (
            "en",
            "Working days in 2100 cannot be counted: the State Council&#x27;s holiday arrangements for that year "
            "have not been entered, and it is outside the years the statutory holidays of the 全国年节及纪念日放假办法 "
            "can be applied to (2025–2099). Ask the system administrator to enter that year&#x27;s holiday "
            "arrangements first.",
        ),
    ],
)
def test_a_start_beyond_every_notice_and_rule_is_refused_to_the_clerk_and_changes_nothing(
    twenty_days: ItemVersion, alice: User, bob: User, on_day: Any, language: str, message: str
) -> None:
    on_day("2099-12-20")
    case = actions.submit_case(
        twenty_days, applicant=alice, form_data=FORM, submit_key="k", files=material_files(twenty_days)
    )
    page = _staff(bob, language).post(f"/desk/cases/{case.public_id}/accept/", {"opinion": "材料齐全"}, follow=True)
    assert message in page.content.decode()
    case.refresh_from_db()
    assert case.status == "submitted" and case.accepted_on is None and case.due_on is None
