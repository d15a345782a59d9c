"""Password authentication by the kind of account: applicants by ID number or phone, staff by name."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from govhall.identity.constants import UserKind
from govhall.identity.models import User
from govhall.identity.queries import find_applicant_by_account, find_staff_by_username


class AccountBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        kind: str = UserKind.STAFF,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        user = find_applicant_by_account(username) if kind == UserKind.APPLICANT else find_staff_by_username(username)
        if user is None:
            # Spend the same time as a real check, so timing does not tell which accounts exist:
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
