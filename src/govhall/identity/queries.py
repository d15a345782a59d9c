"""Reads about accounts, subjects, departments and roles, and the gates that load them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from govhall.identity.constants import UserKind
from govhall.identity.models import Department, EntityAuthorisation, LegalEntity, Membership, NaturalPerson, User
from govhall.lib.crypto import lookup_hash
from govhall.lib.identifiers import normalise_phone, parse_resident_id

ID_NUMBER = "id_number"
PHONE = "phone"


def has_role(user: Any, role: str, department: Department | None = None) -> bool:
    """Does ``user`` hold exactly ``role`` (in ``department``, if given)? No role implies another."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    memberships = Membership.objects.filter(user=user, role=role)
    if department is not None:
        memberships = memberships.filter(department=department)
    return memberships.exists()


def list_roles(user: User) -> list[Membership]:
    """Every role of a staff member, with its department, in display order."""
    return list(Membership.objects.filter(user=user).select_related("department").order_by("department__sort_order"))


def departments_with_role(user: User, role: str) -> QuerySet[Department]:
    """The departments where ``user`` holds ``role``: the set-based filter other apps use."""
    return Department.objects.filter(memberships__user=user, memberships__role=role).distinct()


def get_department_tree() -> list[tuple[Department, int]]:
    """Every department with its depth, parents before children (for display)."""
    departments = list(Department.objects.order_by("sort_order", "code"))
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department)
    ordered: list[tuple[Department, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for child in children.get(parent_id, []):
            ordered.append((child, depth))
            walk(child.pk, depth + 1)

    walk(None, 0)
    return ordered


def find_person_by_id_number(id_number: str) -> NaturalPerson | None:
    """Find a person by ID number through the keyed hash; None if unknown or malformed."""
    try:
        parsed = parse_resident_id(id_number)
    except ValidationError:
        return None
    return NaturalPerson.objects.filter(id_number_hash=lookup_hash(parsed.number, purpose=ID_NUMBER)).first()


def find_entity_by_credit_code(code: str) -> LegalEntity | None:
    return LegalEntity.objects.filter(credit_code=code.strip().upper()).first()


def find_applicant_by_account(account: str) -> User | None:
    """Resolve what an applicant typed to log in: an ID number or a phone number."""
    person = find_person_by_id_number(account)
    if person is None:
        try:
            phone = normalise_phone(account)
        except ValidationError:
            return None
        person = NaturalPerson.objects.filter(phone_hash=lookup_hash(phone, purpose=PHONE)).first()
    if person is None:
        return None
    return User.objects.filter(person=person, kind=UserKind.APPLICANT).first()


def find_staff_by_username(username: str) -> User | None:
    return User.objects.filter(username=username.strip(), kind=UserKind.STAFF).first()


def list_entities_for(user: User) -> list[LegalEntity]:
    """The legal entities an applicant may act for."""
    return list(LegalEntity.objects.filter(authorisations__user=user, authorisations__is_active=True).order_by("name"))


def access_entity_for(user: User, public_id: str) -> LegalEntity:
    """Load an entity the applicant is authorised for, or 404 exactly as if it did not exist."""
    authorisation = (
        EntityAuthorisation.objects.select_related("entity")
        .filter(user=user, is_active=True, entity__public_id=public_id)
        .first()
    )
    if authorisation is None:
        raise Http404
    return authorisation.entity


def is_staff_desk_user(user: Any) -> bool:
    """May this account open the staff desk (a staff member holding any business role)?"""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.kind == UserKind.STAFF)


def is_second_factor_verified(user: Any) -> bool:
    """Has this session passed the second factor (django-otp's OTPMiddleware sets ``is_verified``)?"""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def has_role_for(user: Any, role: str, department: Department) -> bool:
    """Does ``user`` hold ``role`` in ``department`` or in a unit above it (the bureau covers its units)?"""
    chain: list[int] = []
    current: Department | None = department
    while current is not None and current.pk not in chain:
        chain.append(current.pk)
        current = current.parent
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Membership.objects.filter(user=user, role=role, department_id__in=chain).exists()


_COVERED = "_govhall_departments_covered"


def departments_covered(user: Any, roles: Any) -> list[int]:
    """Ids of the departments where ``user`` holds one of ``roles``, and every unit below them.

    Kept on the user object, as Django keeps a user's permissions: a request asks it several
    times (the inbox, its item filter, a case's gate) and works it out once. A role granted
    or revoked through identity.actions clears it (``forget_roles``).
    """
    if not getattr(user, "is_authenticated", False):
        return []
    memo: dict[frozenset[str], list[int]] = user.__dict__.setdefault(_COVERED, {})
    key = frozenset(str(role) for role in roles)
    if key not in memo:
        memo[key] = _covered(user.pk, sorted(key))
    return list(memo[key])


def _covered(user_id: int, roles: list[str]) -> list[int]:
    # The user's units and every unit below them in one round trip (a recursive query, which
    # SQLite and PostgreSQL both run) instead of the roles, then the whole tree:
    if not roles:
        return []
    marks = ", ".join(["%s"] * len(roles))
    sql = f"""
        WITH RECURSIVE covered(id) AS (
            SELECT department_id FROM {Membership._meta.db_table} WHERE user_id = %s AND role IN ({marks})
            UNION
            SELECT unit.id FROM {Department._meta.db_table} AS unit JOIN covered ON unit.parent_id = covered.id
        )
        SELECT id FROM covered ORDER BY id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, *roles])
        return [row[0] for row in cursor.fetchall()]


def forget_roles(user: Any) -> None:
    """Drop what ``departments_covered`` kept on this user object (after a role change)."""
    user.__dict__.pop(_COVERED, None)


def departments_below(roots: Any) -> list[int]:
    """Ids of the departments ``roots`` and every unit below them (the department tree is small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Department.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    covered: set[int] = set()
    stack = list(roots)
    while stack:
        pk = stack.pop()
        if pk not in covered:
            covered.add(pk)
            stack.extend(children.get(pk, []))
    return sorted(covered)


def is_credit_code_on_record(code: str) -> bool:
    """Whether a registered company or a department carries ``code`` (for pilot-shaped codes)."""
    return LegalEntity.objects.filter(credit_code=code).exists() or Department.objects.filter(credit_code=code).exists()
