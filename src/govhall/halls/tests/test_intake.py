"""Window intake (一窗受理): the clerk serving a ticket files the person's application; the case and ticket are joined."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from govhall.cases.constants import CaseStatus, Channel
from govhall.cases.models import Case
from govhall.cases.tests.conftest import material_files
from govhall.catalog.models import ItemVersion
from govhall.halls import actions
from govhall.halls.models import Ticket
from govhall.halls.tests.conftest import TUESDAY, District
from govhall.identity.models import NaturalPerson, User
from govhall.lib.crypto import lookup_hash

pytestmark = pytest.mark.django_db
WALK_IN_ID = "350205199005050036"


def _serving(district: District, clerk: User) -> Ticket:
    actions.take_ticket(district.forestry)
    actions.sign_in_window(district.general, clerk=clerk)
    actions.call_next_ticket(district.general, clerk=clerk)
    return actions.start_serving(district.general, clerk=clerk)


def test_a_walk_in_is_identified_and_their_case_filed_accepted_and_linked_to_the_ticket(
    district: District, felling: ItemVersion, hank: User, desk: Any, clock: Any
) -> None:
    ticket = _serving(district, hank)
    client = desk(hank)
    answer = client.post("/desk/counter/intake/", {"id_number": WALK_IN_ID, "name": "王林", "phone": "13900000002"})
    next_url = "/desk/counter/"
    assert answer.status_code == 302 and answer["Location"].startswith("/desk/cases/intake/")
    person = NaturalPerson.objects.get(id_number_hash=lookup_hash(WALK_IN_ID, purpose="id_number"))
    query = parse_qs(urlparse(answer["Location"]).query)
    assert query["person"] == [str(person.public_id)]
    ticket.refresh_from_db()
    assert ticket.id_number_masked == person.id_number_masked  # the anonymous ticket now knows whose it is

    assert query["next"] == [next_url]
    page = client.get("/desk/cases/intake/", {"person": str(person.public_id), "next": next_url,
                                              "item": felling.item.implementation_code})  # fmt: skip
    assert "窗口受理：林木采伐许可证核发" in page.content.decode() and "王林" in page.content.decode()
    form = {"person": str(person.public_id), "item": felling.item.implementation_code, "next": next_url,
            "submit_key": "window-1", "location": "东孚镇鼎美村3林班", "volume": "12.5", "accept_now": "on"}  # fmt: skip
    files = {f"material_{pk}": upload for pk, upload in material_files(felling).items()}
    refused = client.post("/desk/cases/intake/", {**form, **files})
    assert "请先请申请人核对申请内容和材料并签字确认" in refused.content.decode()
    assert not Case.objects.exists()

    files = {f"material_{pk}": upload for pk, upload in material_files(felling).items()}
    filed = client.post("/desk/cases/intake/", {**form, **files, "confirmed": "on"})
    case = Case.objects.get()
    assert filed["Location"] == f"/desk/counter/linked/{case.public_id}/"
    assert (case.status, case.channel, case.filed_by, case.person) == (
        CaseStatus.IN_PROGRESS,
        Channel.WINDOW,
        hank,
        person,
    )
    assert case.applicant.person == person and not case.applicant.has_usable_password()
    offered = client.get(filed["Location"]).content.decode()
    assert case.reference in offered and "关联排队号 A001 与本办件" in offered
    ticket.refresh_from_db()
    assert not ticket.case_links.exists()  # a page that is only looked at changes nothing
    linked = client.post(filed["Location"])
    assert "已关联本办件" in linked.content.decode()
    assert [(link.case, link.kind) for link in ticket.case_links.all()] == [(case, "filed")]
    # The case goes on as any online case: it is on the desk, accepted, with its due date:
    assert case.due_on is not None
    assert case.events.filter(kind="submitted").get().actor_id == hank.pk
    # The bureau's 网上申请率 counts it as filed at the window:
    from govhall.stats import actions as stats_actions
    from govhall.stats import queries as stats_queries

    stats_actions.compute_day(TUESDAY)
    figures = stats_queries.month_figures(TUESDAY.replace(day=1), stats_queries.Scope(None, "海沧区农林水利局"))
    assert figures.values["online_application"] == 0.0


def test_missing_materials_give_a_one_time_notice_and_file_nothing(
    district: District, felling: ItemVersion, hank: User, desk: Any, clock: Any
) -> None:
    _serving(district, hank)
    client = desk(hank)
    client.post("/desk/counter/intake/", {"id_number": WALK_IN_ID, "name": "王林"})
    person = NaturalPerson.objects.get()
    notice = client.post(
        "/desk/cases/intake/",
        {"person": str(person.public_id), "item": felling.item.implementation_code, "submit_key": "w-2",
         "location": "东孚镇", "volume": "3", "confirmed": "on", "notice": "1"},
    )  # fmt: skip
    text = notice.content.decode()
    assert "一次性告知单" in text and "林木采伐申请表" in text
    assert not Case.objects.exists()


def test_the_intake_page_serves_only_the_person_identified_at_the_counter(
    district: District, felling: ItemVersion, hank: User, desk: Any, clock: Any
) -> None:
    other = NaturalPerson.objects.create(
        name="王林", id_number_encrypted="x", id_number_hash="h2", id_number_masked="m"
    )
    page = (
        desk(hank)
        .get("/desk/cases/intake/", {"person": str(other.public_id), "item": felling.item.implementation_code})
        .content.decode()
    )
    assert "窗口受理从叫号页面开始" in page and "王林" not in page


def test_printing_the_one_time_notice_files_nothing_even_with_a_complete_form(
    district: District, felling: ItemVersion, hank: User, desk: Any, clock: Any
) -> None:
    _serving(district, hank)
    client = desk(hank)
    client.post("/desk/counter/intake/", {"id_number": WALK_IN_ID, "name": "王林"})
    person = NaturalPerson.objects.get()
    files = {f"material_{pk}": upload for pk, upload in material_files(felling).items()}
    notice = client.post(
        "/desk/cases/intake/",
        {"person": str(person.public_id), "item": felling.item.implementation_code, "submit_key": "w-3",
         "location": "东孚镇", "volume": "3", "confirmed": "on", "accept_now": "on", "notice": "1", **files},
    )  # fmt: skip
    assert "一次性告知单" in notice.content.decode()
    assert not Case.objects.exists()


def test_a_clerk_of_another_unit_cannot_file_for_the_water_item(
    district: District, water_item: ItemVersion, bob: User, desk: Any, clock: Any
) -> None:
    person = NaturalPerson.objects.create(
        name="王林", id_number_encrypted="x", id_number_hash="h", id_number_masked="m"
    )
    page = desk(bob).get(
        "/desk/cases/intake/", {"person": str(person.public_id), "item": water_item.item.implementation_code}
    )
    # Bob (forestry) is offered only his own unit's items, never the water item's form:
    assert "窗口受理：取水许可" not in page.content.decode()
    assert not Case.objects.exists()


def test_identifying_with_a_wrong_check_digit_changes_nothing(
    district: District, hank: User, desk: Any, clock: Any
) -> None:
    _serving(district, hank)
    client = desk(hank)
    answer = client.post("/desk/counter/intake/", {"id_number": "350205199005050037", "name": "王林"}, follow=True)
    assert "校验位不正确" in answer.content.decode()
    assert not NaturalPerson.objects.filter(name="王林").exists()


def test_a_name_that_does_not_match_the_id_numbers_record_is_refused(
    district: District, hank: User, alice: User, desk: Any, clock: Any
) -> None:
    _serving(district, hank)
    answer = desk(hank).post("/desk/counter/intake/", {"id_number": "350205198503120020", "name": "王林"}, follow=True)
    assert "姓名与填写的不一致" in answer.content.decode()


def test_malformed_ids_and_dates_at_the_counter_and_the_figures_are_refused_in_words(
    district: District, hank: User, dan: User, desk: Any, clock: Any
) -> None:
    _serving(district, hank)
    client = desk(hank)
    answer = client.post("/desk/counter/transfer/", {"to_window": "abc", "to_queue": "1e9"}, follow=True)
    assert answer.status_code == 200 and "请选择转到的窗口或业务类别" in answer.content.decode()
    issued = client.post("/desk/counter/issue/", {"queue": "x"}, follow=True)
    assert issued.status_code == 200 and "请选择业务类别" in issued.content.decode()
    assert desk(dan).get("/desk/halls/stats/", {"to": "0001-01-05", "from": "0001-01-01"}).status_code == 200
    assert desk(dan).post("/desk/halls/stats/compute/", {"day": "0001-01-01"}, follow=True).status_code == 200


def test_a_bundle_is_filed_at_the_window_as_one_form_and_its_cases_joined_to_the_ticket(
    district: District, felling: ItemVersion, water_item: ItemVersion, hank: User, alice: User, desk: Any, clock: Any
) -> None:
    """一件事 at the window (一窗受理): the clerk fills the bundle's one form; each unit gets its case, accepted."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from govhall.cases.tests.conftest import pdf_bytes
    from govhall.proactive import bundles
    from govhall.proactive.models import Bundle, BundleFiling, BundleItem

    bundle = Bundle.objects.create(code="forest-water", name="林地取水一件事")
    for order, version in enumerate((felling, water_item), start=1):
        BundleItem.objects.create(bundle=bundle, item=version.item, order=order)
    ticket = _serving(district, hank)
    client = desk(hank)
    client.post("/desk/counter/intake/", {"id_number": WALK_IN_ID, "name": "王林", "phone": "13900000002"})
    person = NaturalPerson.objects.get(id_number_hash=lookup_hash(WALK_IN_ID, purpose="id_number"))
    where = {"person": str(person.public_id), "next": "/desk/counter/"}
    items = client.get("/desk/cases/intake/", where).content.decode()
    assert "办理一件事（多个事项一并受理）" in items
    offered = client.get("/desk/bundles/intake/", where).content.decode()
    assert "林地取水一件事（林木采伐许可证核发、取水许可）" in offered

    page = client.get("/desk/bundles/intake/", {**where, "bundle": "forest-water"}).content.decode()
    groups = bundles.bundle_form(bundle).groups
    assert "窗口受理：林地取水一件事" in page and "王林" in page
    assert page.count('type="file"') == len(groups) < len(felling.materials.all()) + len(water_item.materials.all())

    def files() -> dict[str, Any]:
        return {
            f"group_{n}": SimpleUploadedFile(f"{n}.pdf", pdf_bytes(), "application/pdf") for n in range(len(groups))
        }

    form = {**where, "bundle": "forest-water", "entity": "", "submit_key": "window-bundle-1",
            "location": "东孚镇鼎美村3林班", "volume": "12.5", "accept_now": "on"}  # fmt: skip
    refused = client.post("/desk/bundles/intake/", {**form, **files()})
    assert refused.status_code == 400 and "请先请申请人核对申请内容和材料并签字确认" in refused.content.decode()
    assert not Case.objects.exists() and not BundleFiling.objects.exists()

    filed = client.post("/desk/bundles/intake/", {**form, **files(), "confirmed": "on"})
    filing = BundleFiling.objects.get()
    cases = [link.case for link in filing.links.select_related("case")]
    assert filed["Location"] == f"/desk/counter/linked/{cases[0].public_id}/?also={cases[1].public_id}"
    assert sorted(c.department.code for c in cases) == ["forestry", "water"]
    assert {(c.status, c.channel, c.filed_by_id, c.person_id) for c in cases} == {
        (CaseStatus.IN_PROGRESS, Channel.WINDOW, hank.pk, person.pk)
    }
    assert filing.applicant.person == person
    again = client.post("/desk/bundles/intake/", {**form, **files(), "confirmed": "on"})  # a double click
    assert again.status_code == 302 and Case.objects.count() == 2

    back = client.get(filed["Location"]).content.decode()
    assert "一件事已录入：2 个办件" in back and all(c.reference in back for c in cases)
    assert "关联排队号 A001 与本次受理的办件" in back
    client.post(filed["Location"])
    assert {link.case_id for link in ticket.case_links.all()} == {c.pk for c in cases}
    # The counter's page takes only cases of the same applicant, and says "not found" to anything else:
    assert client.get(f"/desk/counter/linked/{cases[0].public_id}/?also=not-a-case").status_code == 404
    from govhall.cases.actions import submit_case

    other = submit_case(felling, applicant=alice, form_data={"location": "东孚镇", "volume": 1}, submit_key="other",
                        files=material_files(felling))  # fmt: skip
    assert client.get(f"/desk/counter/linked/{cases[0].public_id}/?also={other.public_id}").status_code == 404
    twice = client.get(
        f"/desk/counter/linked/{cases[0].public_id}/?also={cases[1].public_id}&also={cases[1].public_id}"
    )
    assert "一件事已录入：2 个办件" in twice.content.decode()
    # A clerk of one unit only is not offered a bundle that needs another unit's item:
    assert bundles.bundles_for_units([felling.handling_department_id]) == []
