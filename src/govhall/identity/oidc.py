"""Login through a provincial unified identity provider (OIDC), when configured.

The provider vouches for the citizen's identity; the account is matched by the resident ID
number in the claim named by OIDC_ID_NUMBER_CLAIM (through its keyed hash), never by name.
"""

from __future__ import annotations

from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from govhall.audit.actions import record
from govhall.identity.actions import register_person
from govhall.identity.constants import UserKind
from govhall.identity.models import User
from govhall.identity.queries import find_person_by_id_number


def user_for_claims(claims: dict[str, Any]) -> User | None:
    """Find or open the applicant account for verified OIDC claims; None if the claims are unusable."""
    id_number = str(claims.get(getattr(settings, "OIDC_ID_NUMBER_CLAIM", "id_number"), ""))
    name = str(claims.get(getattr(settings, "OIDC_NAME_CLAIM", "name"), "")).strip()
    person = find_person_by_id_number(id_number)
    with transaction.atomic():
        if person is None:
            if not name:
                return None
            try:
                person = register_person(name=name, id_number=id_number, actor="oidc")
            except ValidationError:
                return None
        user = User.objects.filter(person=person).first()
        if user is None:
            user = User(username=f"applicant-{person.public_id.hex[:16]}", full_name=person.name)
            user.person = person
            user.kind = UserKind.APPLICANT
            user.set_unusable_password()
            user.save()
            record("identity.applicant_registered", user, user, {"via": "oidc"})
    return user if user.kind == UserKind.APPLICANT else None


class ProvincialOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        user = user_for_claims(claims)
        return User.objects.filter(pk=user.pk) if user else User.objects.none()

    def create_user(self, claims: dict[str, Any]) -> Any:
        return user_for_claims(claims)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get(getattr(settings, "OIDC_ID_NUMBER_CLAIM", "id_number")))
