"""The provincial OIDC login is off by default and matches citizens by ID number, never by name."""

from __future__ import annotations

import pytest

from django.test import Client

from govhall.identity.models import User
from govhall.identity.oidc import user_for_claims

pytestmark = pytest.mark.django_db


def test_it_is_off_by_default(zh_client: Client) -> None:
    assert zh_client.get("/oidc/authenticate/").status_code == 404
    assert "省统一身份认证" not in zh_client.get("/login/").content.decode()


def test_verified_claims_open_or_reuse_the_account_of_that_id_number(alice: User) -> None:
    assert user_for_claims({"id_number": "350205198503120020", "name": "别的名字"}) == alice
    newcomer = user_for_claims({"id_number": "350205199001010010", "name": "王小明"})
    assert newcomer is not None and newcomer.full_name == "王小明"
    assert not newcomer.has_usable_password()


def test_claims_with_a_malformed_id_number_log_nobody_in(db: None) -> None:
    assert user_for_claims({"id_number": "350205199001010011", "name": "王小明"}) is None
    assert User.objects.count() == 0
