"""Every write about accounts, subjects, departments and roles, each with its audit record."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govhall.audit.actions import record
from govhall.audit.models import AuditOutcome
from govhall.identity.constants import (
    ADMIN_ROLES,
    ENTITY_KIND_BY_CODE,
    SESSION_ACTING_FOR,
    AuthorisationRole,
    EntityKind,
    Role,
    UserKind,
)
from govhall.identity.models import (
    Department,
    EntityAuthorisation,
    LegalEntity,
    LoginThrottle,
    Membership,
    NaturalPerson,
    User,
)
from govhall.identity.queries import ID_NUMBER, PHONE, find_person_by_id_number, forget_roles
from govhall.lib.crypto import decrypt_text, encrypt_text, lookup_hash, rotate_token
from govhall.lib.identifiers import (
    from_authoritative_source,
    mask_id_number,
    mask_phone,
    normalise_phone,
    parse_credit_code,
    parse_resident_id,
)


class LoginRefused(Exception):
    """A login did not succeed; ``message`` is what the user is told."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Subjects ------------------------------------------------------------------------------


def _set_phone(person: NaturalPerson, phone: str) -> None:
    if phone:
        normalised = normalise_phone(phone)
        person.phone_encrypted = encrypt_text(normalised)
        person.phone_hash = lookup_hash(normalised, purpose=PHONE)
        person.phone_masked = mask_phone(normalised)
    else:
        person.phone_encrypted = person.phone_hash = person.phone_masked = ""


@transaction.atomic
def register_person(*, name: str, id_number: str, phone: str = "", actor: Any = None) -> NaturalPerson:
    """Create the natural person keyed by ``id_number``, or return the existing one.

    A legacy 15-digit number is upgraded to 18 digits first, so both find the same person.
    Raises ValidationError if the number or phone is malformed.
    """
    parsed = parse_resident_id(id_number)
    if not name.strip():
        raise ValidationError(_("请填写姓名。"), code="required")
    id_hash = lookup_hash(parsed.number, purpose=ID_NUMBER)
    person = NaturalPerson.objects.select_for_update().filter(id_number_hash=id_hash).first()
    if person is not None:
        return person
    person = NaturalPerson(
        name=name.strip(),
        id_number_encrypted=encrypt_text(parsed.number),
        id_number_hash=id_hash,
        id_number_masked=mask_id_number(parsed.number),
    )
    _set_phone(person, phone)
    person.save()
    record("identity.person_created", actor, person, {"upgraded_from_15_digits": bool(parsed.upgraded_from)})
    return person


@transaction.atomic
def register_entity(
    *, name: str, credit_code: str, legal_representative: str = "", address: str = "", actor: Any = None
) -> LegalEntity:
    """Create the legal entity keyed by ``credit_code``, or return the existing one.

    Registering is how a code comes on record (staff, from the company's business licence), so
    a Xiamen pilot code is accepted and keeps its warning. Raises ValidationError otherwise.
    """
    parsed = parse_credit_code(credit_code, on_record=from_authoritative_source)
    existing = LegalEntity.objects.filter(credit_code=parsed.code).first()
    if existing is not None:
        return existing
    entity = LegalEntity.objects.create(
        name=name.strip(),
        credit_code=parsed.code,
        credit_code_warning="；".join(parsed.warnings)[:300],
        kind=ENTITY_KIND_BY_CODE.get(parsed.code[:2], EntityKind.OTHER),
        legal_representative=legal_representative,
        address=address,
    )
    record("identity.entity_created", actor, entity, {"warnings": list(parsed.warnings)})
    return entity


@transaction.atomic
def register_applicant(
    *, name: str, id_number: str, phone: str, password: str, request: HttpRequest | None = None
) -> User:
    """Open an applicant account for a citizen. Raises ValidationError with every problem found."""
    errors: dict[str, list[ValidationError]] = {}
    parsed = None
    try:
        parsed = parse_resident_id(id_number)
    except ValidationError as exc:
        errors["id_number"] = [exc]
    try:
        normalise_phone(phone)
    except ValidationError as exc:
        errors["phone"] = [exc]
    if parsed is not None:
        existing = find_person_by_id_number(parsed.number)
        if existing is not None and User.objects.filter(person=existing).exists():
            errors["id_number"] = [ValidationError(_("该身份证号码已注册账户，请直接登录或找回密码。"), code="taken")]
    probe = User(username="applicant", full_name=name, kind=UserKind.APPLICANT)
    try:
        validate_password(password, probe)
    except ValidationError as exc:
        errors["password"] = [exc]
    if errors:
        raise ValidationError(errors)
    assert parsed is not None
    person = register_person(name=name, id_number=parsed.number, phone=phone)
    user = User(username=f"applicant-{person.public_id.hex[:16]}", full_name=person.name, kind=UserKind.APPLICANT)
    user.person = person
    user.set_password(password)
    user.save()
    record("identity.applicant_registered", user, user, request=request)
    return user


@transaction.atomic
def authorise_for_entity(
    user: User, entity: LegalEntity, *, role: str = AuthorisationRole.AGENT, actor: Any = None
) -> EntityAuthorisation:
    """Let an applicant act for a legal entity (idempotent)."""
    authorisation, created = EntityAuthorisation.objects.get_or_create(
        user=user, entity=entity, defaults={"role": role}
    )
    if not created and (not authorisation.is_active or authorisation.role != role):
        authorisation.is_active = True
        authorisation.role = role
        authorisation.save(update_fields=["is_active", "role"])
        created = True
    if created:
        record("identity.entity_authorised", actor, entity, {"user": user.username, "role": role})
    return authorisation


def reveal_id_number(person: NaturalPerson, *, actor: Any, purpose: str, request: HttpRequest | None = None) -> str:
    """Return a person's full ID number and audit that ``actor`` saw it, and why."""
    number = decrypt_text(person.id_number_encrypted)
    record("identity.id_number_viewed", actor, person, {"purpose": purpose}, request=request)
    return number


def reveal_phone(person: NaturalPerson, *, actor: Any, purpose: str, request: HttpRequest | None = None) -> str:
    """Return a person's full phone number and audit that ``actor`` saw it, and why."""
    if not person.phone_encrypted:
        return ""
    phone = decrypt_text(person.phone_encrypted)
    record("identity.phone_viewed", actor, person, {"purpose": purpose}, request=request)
    return phone


@transaction.atomic
def rotate_personal_data_keys(*, actor: Any = None) -> int:
    """Re-encrypt every personal identifier under the current key and re-hash it.

    Run after putting a new key first in GOVHALL_FIELD_ENCRYPTION_KEYS (or a new
    GOVHALL_LOOKUP_HASH_KEY); afterwards the old key can be removed. Returns the rows done.
    """
    count = 0
    for person in NaturalPerson.objects.select_for_update().iterator(chunk_size=500):
        number = decrypt_text(person.id_number_encrypted)
        person.id_number_encrypted = rotate_token(person.id_number_encrypted)
        person.id_number_hash = lookup_hash(number, purpose=ID_NUMBER)
        if person.phone_encrypted:
            phone = decrypt_text(person.phone_encrypted)
            person.phone_encrypted = rotate_token(person.phone_encrypted)
            person.phone_hash = lookup_hash(phone, purpose=PHONE)
        person.save(update_fields=["id_number_encrypted", "id_number_hash", "phone_encrypted", "phone_hash"])
        count += 1
    record("identity.keys_rotated", actor, None, {"people": count})
    return count


# Departments and staff -------------------------------------------------------------------


@transaction.atomic
def set_preferred_language(user: User, language: str, *, request: HttpRequest | None = None) -> None:
    """Remember the language the person chose; their notifications are written in it."""
    if language not in dict(settings.LANGUAGES) or user.language == language:
        return
    user.language = language
    user.save(update_fields=["language"])
    record("identity.language_chosen", user, user, {"language": language}, request=request)


@transaction.atomic
def save_department(
    *,
    code: str,
    name: str,
    credit_code: str,
    parent: Department | None = None,
    name_en: str = "",
    sort_order: int = 0,
    actor: Any = None,
) -> Department:
    """Create or update the department with ``code``. Its credit code must be valid (or a pilot code)."""
    parsed = parse_credit_code(credit_code, on_record=from_authoritative_source)
    department, created = Department.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "name_en": name_en,
            "credit_code": parsed.code,
            "parent": parent,
            "sort_order": sort_order,
        },
    )
    record("identity.department_saved", actor, department, {"created": created})
    return department


@transaction.atomic
def create_staff(*, username: str, full_name: str, password: str, actor: Any = None) -> User:
    """Create a staff account (no roles yet). Raises ValidationError on a weak password."""
    user = User(username=username, full_name=full_name, kind=UserKind.STAFF)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    record("identity.staff_created", actor, user)
    return user


@transaction.atomic
def grant_role(user: User, department: Department, role: str, *, actor: Any = None) -> Membership:
    """Give a staff member a role in a department (idempotent).

    The three administrators are separate people (三员分立) and do not handle cases: an
    administrator role cannot be combined with any other role. Raises ValidationError.
    """
    forget_roles(user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.kind != UserKind.STAFF:
        raise ValidationError(_("只有工作人员账户可以被授予岗位角色。"), code="not_staff")
    existing = Membership.objects.filter(user=user, department=department, role=role).first()
    if existing is not None:
        return existing
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if held and (role in ADMIN_ROLES or held & ADMIN_ROLES) and held != {role}:
        raise ValidationError(
            _("系统管理员、安全管理员、审计管理员必须由不同人员担任，且不能兼任业务角色（三员分立）。"),
            code="separation_of_duties",
        )
    membership = Membership.objects.create(user=user, department=department, role=role)
    _sync_admin_access(user)
    record("identity.role_granted", actor, user, {"department": department.code, "role": role})
    return membership


@transaction.atomic
def revoke_role(user: User, department: Department, role: str, *, actor: Any = None) -> None:
    """Take a role away (no error if it was not held)."""
    forget_roles(user)
    deleted, _rows = Membership.objects.filter(user=user, department=department, role=role).delete()
    if deleted:
        _sync_admin_access(user)
        record("identity.role_revoked", actor, user, {"department": department.code, "role": role})


def _sync_admin_access(user: User) -> None:
    # Django admin access follows the administrator roles; never a separate flag to forget:
    is_admin = Membership.objects.filter(user=user, role__in=ADMIN_ROLES).exists()
    if user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


# Login -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    user: User | None
    message: str = ""


def _throttle_key(account: str) -> str:
    return lookup_hash(account.strip().upper(), purpose="login")


def login_with_password(request: HttpRequest, *, account: str, password: str, kind: str) -> User:
    """Log in an applicant (by ID number or phone) or a staff member (by user name).

    After LOGIN_FAILURE_LIMIT failures in a row the account is locked for
    LOGIN_LOCKOUT_MINUTES, whatever password is then given. Every attempt is audited.
    Staff are logged in but not yet verified: the desk asks for their second factor.
    Raises LoginRefused with the message to show.
    """
    with transaction.atomic():
        attempt = _attempt_login(request, account=account, password=password, kind=kind)
    if attempt.user is None:
        raise LoginRefused(attempt.message)
    return attempt.user


def _attempt_login(request: HttpRequest, *, account: str, password: str, kind: str) -> _Attempt:
    now = timezone.now()
    throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(account_hash=_throttle_key(account))
    label = "login:" + (mask_id_number(account.strip()) if kind == UserKind.APPLICANT else account.strip()[:60])
    if throttle.locked_until and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        record("identity.login_locked", label, None, {"kind": kind}, outcome=AuditOutcome.DENIED, request=request)
        return _Attempt(None, _locked_message(minutes))
    user = authenticate(request, username=account, password=password, kind=kind)
    if user is None:
        throttle.failures += 1
        throttle.last_failure_at = now
        limit = settings.LOGIN_FAILURE_LIMIT
        if throttle.failures >= limit:
            throttle.locked_until = now + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            throttle.failures = 0
            message = _locked_message(settings.LOGIN_LOCKOUT_MINUTES)
        else:
            left = limit - throttle.failures
            message = ngettext(
                "账号或密码不正确。再失败%(left)d次，账户将被锁定。",
                "账号或密码不正确。再失败%(left)d次，账户将被锁定。",
                left,
            ) % {"left": left}
        throttle.save()
        record("identity.login_failed", label, None, {"kind": kind}, outcome=AuditOutcome.FAILURE, request=request)
        return _Attempt(None, message)
    throttle.delete()
    login(request, user, backend="govhall.identity.backends.AccountBackend")
    record("identity.login", user, user, {"kind": kind}, request=request)
    return _Attempt(user)


def _locked_message(minutes: int) -> str:
    return ngettext(
        "登录失败次数过多，账户已被锁定，请%(minutes)d分钟后再试。",
        "登录失败次数过多，账户已被锁定，请%(minutes)d分钟后再试。",
        minutes,
    ) % {"minutes": minutes}


def log_out(request: HttpRequest, *, reason: str = "user") -> None:
    """End the session and audit it (``reason`` is "user" or "idle")."""
    user = request.user
    if user.is_authenticated:
        with transaction.atomic():
            record("identity.logout", user, user, {"reason": reason}, request=request)
    logout(request)


def start_totp_enrolment(user: User) -> TOTPDevice:
    """Give a staff member without a second factor an unconfirmed TOTP device to scan."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    return device


def verify_second_factor(request: HttpRequest, *, token: str) -> str:
    """Check a staff member's TOTP code; on success mark the session verified and audit it.

    An unconfirmed device (first enrolment) is confirmed by its first correct code. After a
    wrong code django-otp makes the next try wait (doubling each time). Returns "" on
    success, else the message to show.
    """
    with transaction.atomic():
        return _verify_second_factor(request, token)


def _verify_second_factor(request: HttpRequest, token: str) -> str:
    user = request.user
    assert isinstance(user, User)
    token = token.strip().replace(" ", "")
    for device in TOTPDevice.objects.select_for_update().filter(user=user):
        allowed, details = device.verify_is_allowed()
        if not allowed:
            locked_until = (details or {}).get("locked_until")
            seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 60
            record("identity.second_factor_throttled", user, user, outcome=AuditOutcome.DENIED, request=request)
            return ngettext(
                "验证码错误次数过多，请%(seconds)d秒后再试。", "验证码错误次数过多，请%(seconds)d秒后再试。", seconds
            ) % {"seconds": seconds}
        if token.isdigit() and device.verify_token(token):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record("identity.totp_enrolled", user, user, request=request)
            otp_login(request, device)
            record("identity.second_factor_verified", user, user, request=request)
            return ""
    record("identity.second_factor_failed", user, user, outcome=AuditOutcome.FAILURE, request=request)
    return _("验证码不正确或已过期，请输入验证器上当前显示的6位数字。")


def set_acting_for(request: HttpRequest, entity: LegalEntity | None) -> None:
    """Make the applicant act for ``entity`` (already checked by an access gate) or for themselves."""
    if entity is None:
        request.session.pop(SESSION_ACTING_FOR, None)
    else:
        request.session[SESSION_ACTING_FOR] = str(entity.public_id)
    with transaction.atomic():
        record("identity.acting_for_changed", request.user, entity, request=request)


__all__ = [
    "LoginRefused",
    "Role",
    "authorise_for_entity",
    "create_staff",
    "grant_role",
    "log_out",
    "login_with_password",
    "register_applicant",
    "register_entity",
    "register_person",
    "reveal_id_number",
    "reveal_phone",
    "revoke_role",
    "rotate_personal_data_keys",
    "save_department",
    "set_acting_for",
    "start_totp_enrolment",
    "verify_second_factor",
]
