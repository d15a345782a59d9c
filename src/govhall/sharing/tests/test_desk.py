"""The desk's exchange pages: supervisors and administrators see the state, inspect and replay; clerks get 404."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.identity.models import User
from govhall.sharing import actions
from govhall.sharing.constants import Adapter, MessageStatus
from govhall.sharing.models import OutboxMessage

from .exchange_helpers import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_letter(db: None) -> OutboxMessage:
    platform = actions.save_platform(
        code="350000", name="福建省网上办事大厅", adapter=Adapter.PROVINCE, url="http://127.0.0.1:9", secret=SECRET
    )
    from govhall.sharing.exchange import Draft

    actions._store([("test:1", Draft("10", "I", "case:X1", {"PROJID": "X1"}))], [platform])
    message = OutboxMessage.objects.get()
    message.status, message.attempts, message.last_error = MessageStatus.DEAD, 8, "rejected: 字段缺失"
    message.save()
    return message


def test_a_supervisor_sees_the_platforms_and_replays_a_dead_letter(
    desk: Any, dan: User, dead_letter: OutboxMessage
) -> None:
    client = desk(dan)
    page = client.get("/desk/exchange/").content.decode()
    assert "福建省网上办事大厅" in page and "350000" in page
    listed = client.get("/desk/exchange/messages/?status=dead").content.decode()
    assert "case:X1" in listed and "字段缺失" in listed
    detail = client.get(f"/desk/exchange/messages/{dead_letter.public_id}/").content.decode()
    assert "&quot;PROJID&quot;: &quot;X1&quot;" in detail or '"PROJID": "X1"' in detail
    response = client.post(f"/desk/exchange/messages/{dead_letter.public_id}/")
    assert response.status_code == 302
    dead_letter.refresh_from_db()
    assert dead_letter.status == MessageStatus.PENDING and dead_letter.replays == 1


def test_a_clerk_is_told_the_pages_do_not_exist_and_changes_nothing(
    desk: Any, bob: User, dead_letter: OutboxMessage
) -> None:
    client = desk(bob)
    assert client.get("/desk/exchange/").status_code == 404
    assert client.post(f"/desk/exchange/messages/{dead_letter.public_id}/").status_code == 404
    assert client.post("/desk/exchange/replay/", {"platform": "350000", "since": "2026-01-01T00:00"}).status_code == 404
    dead_letter.refresh_from_db()
    assert dead_letter.status == MessageStatus.DEAD and dead_letter.replays == 0
