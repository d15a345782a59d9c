"""A licence's staff pages and files follow the dossier's unit scope: "not found" outside it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.utils import timezone

from govhall.audit.models import AuditRecord
from govhall.catalog.models import ItemVersion
from govhall.identity.models import User
from govhall.licences import actions
from govhall.licences.constants import LicenceStatus
from govhall.licences.models import Licence, LicenceCopy

from .conftest import approved_case


@pytest.fixture
def felling_licence(licensed_felling: ItemVersion, alice: User, bob: User, grace: User) -> Licence:
    case = approved_case(licensed_felling, alice, bob, grace)
    return Licence.objects.get(case_public_id=case.public_id)


@pytest.fixture
def copy(felling_licence: Licence, alice: User) -> LicenceCopy:
    return actions.make_licence_copy(
        felling_licence,
        actor=alice,
        purpose="办理银行贷款",
        expires_on=timezone.localdate() + datetime.timedelta(days=10),
    )


def _staff_urls(licence: Licence, copy: LicenceCopy) -> list[str]:
    return [
        f"/desk/licences/{licence.public_id}/",
        f"/desk/licences/{licence.public_id}/licence.pdf",
        f"/desk/licences/copies/{copy.public_id}/copy.pdf",
    ]


def test_a_water_clerk_gets_not_found_for_a_felling_licence_and_its_files(
    felling_licence: Licence, copy: LicenceCopy, carol: User, desk: Any
) -> None:
    client = desk(carol)
    before = AuditRecord.objects.filter(event__startswith="licences.").count()
    for url in _staff_urls(felling_licence, copy):
        assert client.get(url).status_code == 404, url
    # Nor can she change its status: the same "not found", and the licence stays valid:
    response = client.post(f"/desk/licences/{felling_licence.public_id}/suspend/", {"reason": "试探"})
    assert response.status_code == 404
    felling_licence.refresh_from_db()
    assert felling_licence.status == LicenceStatus.VALID
    assert AuditRecord.objects.filter(event__startswith="licences.").count() == before


def test_a_licence_that_does_not_exist_looks_the_same_to_her(carol: User, desk: Any) -> None:
    assert desk(carol).get("/desk/licences/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_the_forestry_clerk_and_the_bureau_approver_open_it(
    felling_licence: Licence, copy: LicenceCopy, bob: User, grace: User, desk: Any
) -> None:
    for user in (bob, grace):
        client = desk(user)
        for url in _staff_urls(felling_licence, copy):
            assert client.get(url).status_code == 200, (user.username, url)


def test_the_public_check_links_to_the_full_record_only_for_staff_in_scope(
    felling_licence: Licence, bob: User, carol: User, desk: Any
) -> None:
    url = f"/verify/?id={felling_licence.identifier}"
    link = f'href="/desk/licences/{felling_licence.public_id}/"'
    for_bob = desk(bob).get(url).content.decode()
    for_carol = desk(carol).get(url).content.decode()
    assert "查看完整证照记录（工作人员）" in for_bob and link in for_bob
    assert "查看完整证照记录（工作人员）" not in for_carol and link not in for_carol
    assert "陈*丽" in for_carol


def test_the_holder_is_told_when_the_licence_is_suspended_and_restored(
    felling_licence: Licence, alice: User, bob: User
) -> None:
    from govhall.proactive.models import Notification

    before = Notification.objects.filter(recipient=alice).count()
    actions.change_status(felling_licence, "suspend", actor=bob, reason="采伐现场核查发现超量采伐。")
    told = Notification.objects.filter(recipient=alice).order_by("-pk").first()
    assert told is not None and Notification.objects.filter(recipient=alice).count() == before + 1
    assert told.subject == f"您的林木采伐许可证（{felling_licence.number}）已暂停使用，请查看原因。"
    assert "原因：采伐现场核查发现超量采伐。" in told.body and "0592-6051234" in told.body
    assert told.link == "/my/licences/"
    actions.change_status(felling_licence, "restore", actor=bob, reason="整改完成。")
    restored = Notification.objects.filter(recipient=alice).order_by("-pk").first()
    assert restored is not None and "已恢复有效" in restored.subject


def test_a_refused_status_change_tells_nobody(felling_licence: Licence, alice: User, carol: User) -> None:
    from django.core.exceptions import PermissionDenied

    from govhall.proactive.models import Notification

    before = Notification.objects.count()
    with pytest.raises(PermissionDenied):
        actions.change_status(felling_licence, "revoke", actor=carol, reason="试探")
    assert Notification.objects.count() == before


def test_the_holder_reads_it_in_english_when_she_chose_english(
    felling_licence: Licence, alice: User, bob: User
) -> None:
    from govhall.proactive.models import Notification

    alice.language = "en"
    alice.save(update_fields=["language"])
    actions.change_status(felling_licence, "cancel", actor=bob, reason="持证人申请注销。")
    told = Notification.objects.filter(recipient=alice).order_by("-pk").first()
    assert told is not None and "has been cancelled" in told.subject


def test_the_holder_is_told_of_a_renewal_with_the_new_number(felling_licence: Licence, alice: User, bob: User) -> None:
    from govhall.proactive.models import Notification

    new = actions.renew_licence(felling_licence, actor=bob, reason="面积变更后换发")
    told = Notification.objects.filter(recipient=alice).order_by("-pk").first()
    assert told is not None
    assert told.subject == f"您的林木采伐许可证已换发新证（{new.number}），可在“我的证照”下载。"
    assert f"原证照（{felling_licence.number}）已注销" in told.body
