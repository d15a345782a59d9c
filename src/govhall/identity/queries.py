"""Reads about accounts, subjects, departments and roles, and the gates that load them."""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
import time
from pathlib import Path
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from govhall.identity.constants import SESSION_ENROLMENT, UserKind
from govhall.identity.models import (
    Department,
    EnrolmentCode,
    EntityAuthorisation,
    LegalEntity,
    Membership,
    NaturalPerson,
    User,
)
from govhall.lib.crypto import lookup_hash
from govhall.lib.identifiers import normalise_phone, parse_resident_id

ID_NUMBER = "id_number"
PHONE = "phone"
# GB/T 2260 division codes, every one since 1980 (``manage.py update_region_codes`` adds new ones):
REGION_CODES_FILE = Path(__file__).resolve().parent / "data" / "region_codes.tsv"


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


@functools.cache
def _region_codes() -> frozenset[str]:
    lines = REGION_CODES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split("\t", 1)[0] for line in lines if line and not line.startswith("#"))


@functools.cache
def _current_regions() -> dict[str, str]:
    """The divisions in use today (no end year), code to name."""
    lines = REGION_CODES_FILE.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return {row[0]: row[1] for row in rows if len(row) >= 3 and (len(row) < 4 or not row[3].strip())}


def county_region_name(code: str) -> str | None:
    """The full name (福建省厦门市海沧区) of a county-level division in use today; None for any other code.

    A postal address needs the county: a province's or a city's code (…00) is not enough, nor
    is a city's 市辖区 (…01), nor a division that no longer exists.
    """
    regions = _current_regions()
    if len(code) != 6 or not code.isdigit() or code.endswith("00") or code not in regions:
        return None
    if regions[code] == "市辖区":
        return None
    province, city = regions.get(code[:2] + "0000", ""), regions.get(code[:4] + "00", "")
    return province + (city if city not in {"", "市辖区", "县", province} else "") + regions[code]


def is_region_code_known(code: str) -> bool:
    """Is ``code`` a GB/T 2260 administrative division that exists or once existed (data/region_codes.tsv)?"""
    return code in _region_codes()


# What people type around a phone number: spaces of any width, brackets, dashes, dots:
_PHONE_NOISE = re.compile(r"[\s()（）\-‐‑–—－.·]")
_FULL_WIDTH_PHONE = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９＋"}


def canonical_phone(account: str) -> str | None:
    """The one spelling of a phone number, from any way it was typed; None if it is not one.

    ``+86 138-0000-0001``, ``0086 13800000001``, ``(+86)138 0000 0001``, ``8613800000001`` and
    ``１３８００００００01`` are all ``13800000001``; a landline keeps ``normalise_phone``'s form.
    """
    text = _PHONE_NOISE.sub("", (account or "").translate(_FULL_WIDTH_PHONE))
    text = text.removeprefix("+86").removeprefix("0086")
    if len(text) == 13 and text.startswith("861"):
        text = text[2:]
    try:
        return normalise_phone(text)
    except ValidationError:
        return None


def canonical_account(account: str, *, kind: str) -> str:
    """What an account identifier stands for, however it was spelled, for counting failed logins.

    Applicants: the 18-character ID number (a 15-digit one upgraded, ``x`` or ``X``, full-width
    digits, spaces) or the phone number (``canonical_phone``); staff: the user name without
    spaces, in lower case. Anything else is kept as typed, stripped and in upper case.
    """
    if kind == UserKind.APPLICANT:
        try:
            return ID_NUMBER + ":" + parse_resident_id(account).number
        except ValidationError:
            pass
        phone = canonical_phone(account)
        if phone is not None:
            return PHONE + ":" + phone
        return "other:" + account.strip().upper()
    return "staff:" + "".join(account.split()).lower()


def find_applicant_by_account(account: str) -> User | None:
    """Resolve what an applicant typed to log in: an ID number, or a phone number in any spelling.

    Phone numbers are not checked for ownership at registration, so two accounts may carry the
    same one: a phone number then leads to the account that registered it first, never to one
    opened later with somebody else's number.
    """
    person = find_person_by_id_number(account)
    if person is None:
        phone = canonical_phone(account)
        if phone is None:
            return None
        return (
            User.objects.filter(kind=UserKind.APPLICANT, person__phone_hash__in=_phone_hashes(account, phone))
            .order_by("date_joined", "pk")
            .first()
        )
    return User.objects.filter(person=person, kind=UserKind.APPLICANT).first()


def _phone_hashes(account: str, phone: str) -> list[str]:
    # A landline is stored as it was normalised at registration, with or without its dash:
    spellings = {phone, phone.replace("-", "")}
    if phone.startswith("0") and "-" not in phone:  # area codes have three or four digits
        spellings.update({phone[:3] + "-" + phone[3:], phone[:4] + "-" + phone[4:]})
    with contextlib.suppress(ValidationError):
        spellings.add(normalise_phone(account))
    return [lookup_hash(spelling, purpose=PHONE) for spelling in spellings]


def find_staff_by_username(username: str) -> User | None:
    """The staff account named ``username``, ignoring case and spaces (``create_staff`` keeps names unique so)."""
    name = "".join(username.split())
    if not name:
        return None
    return User.objects.filter(username__iexact=name, kind=UserKind.STAFF).order_by("pk").first()


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


def is_password_expired(user: Any) -> bool:
    """Must this staff member set a new password first (older than STAFF_PASSWORD_MAX_DAYS)?"""
    if getattr(user, "kind", None) != UserKind.STAFF or settings.STAFF_PASSWORD_MAX_DAYS <= 0:
        return False
    changed = user.password_changed_at
    return changed is None or timezone.now() - changed > datetime.timedelta(days=settings.STAFF_PASSWORD_MAX_DAYS)


def enrolment_device_id(request: HttpRequest) -> int | None:
    """The authenticator whose secret this session may see, having given an enrolment code (or None)."""
    grant = request.session.get(SESSION_ENROLMENT)
    if not isinstance(grant, dict) or grant.get("until", 0) < time.time():
        return None
    return int(grant["device"])


def list_staff_for_enrolment() -> list[dict[str, Any]]:
    """Every active staff account, with whether it has an authenticator and its open enrolment code."""
    now = timezone.now()
    confirmed = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    open_codes = {
        code.user_id: code
        for code in EnrolmentCode.objects.filter(used_at__isnull=True, expires_at__gt=now).order_by("issued_at")
    }
    return [
        {"user": user, "has_authenticator": user.pk in confirmed, "open_code": open_codes.get(user.pk)}
        for user in User.objects.filter(kind=UserKind.STAFF, is_active=True).order_by("username")
    ]


def entity_kinds_by_credit_code(codes: list[str]) -> dict[str, str]:
    """Credit code → the recorded kind (``EntityKind``) of the registered legal entities among ``codes``."""
    return dict(LegalEntity.objects.filter(credit_code__in=set(codes)).values_list("credit_code", "kind"))
