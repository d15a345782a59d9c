"""Every write about accounts, subjects, departments and roles, each with its audit record."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Any

from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govhall.audit.actions import client_ip, record
from govhall.audit.models import AuditOutcome
from govhall.identity.constants import (
    ADMIN_ROLES,
    ENTITY_KIND_BY_CODE,
    SESSION_ACTING_FOR,
    SESSION_ENROLMENT,
    SESSION_STARTED_AT,
    AuthorisationRole,
    EntityKind,
    Role,
    UserKind,
)
from govhall.identity.models import (
    Department,
    EnrolmentCode,
    EntityAuthorisation,
    LegalEntity,
    LoginThrottle,
    Membership,
    NaturalPerson,
    User,
)
from govhall.identity.passwords import attach_identifiers
from govhall.identity.queries import (
    ID_NUMBER,
    PHONE,
    canonical_account,
    enrolment_device_id,
    find_applicant_by_account,
    find_staff_by_username,
    forget_roles,
    has_role,
    is_region_code_known,
)
from govhall.lib.crypto import decrypt_text, encrypt_text, lookup_hash, rotate_token
from govhall.lib.identifiers import (
    check_region_code,
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


def _registration_errors(*, name: str, id_number: str, phone: str, password: str) -> dict[str, list[ValidationError]]:
    """Every problem with a registration's own data (never whether the number has an account)."""
    errors: dict[str, list[ValidationError]] = {}
    parsed = None
    try:
        parsed = parse_resident_id(id_number)
        check_region_code(parsed, is_known=is_region_code_known)
    except ValidationError as exc:
        errors["id_number"] = [exc]
    normalised_phone = ""
    try:
        normalised_phone = normalise_phone(phone)
    except ValidationError as exc:
        errors["phone"] = [exc]
    probe = User(username="applicant", full_name=name, kind=UserKind.APPLICANT)
    attach_identifiers(probe, id_number=parsed.number if parsed else "", phone=normalised_phone)
    try:
        validate_password(password, probe)
    except ValidationError as exc:
        errors["password"] = [exc]
    return errors


@transaction.atomic
def register_applicant(
    *, name: str, id_number: str, phone: str, password: str, request: HttpRequest | None = None
) -> User:
    """Open an applicant account for a citizen. Raises ValidationError with every problem found.

    The ID number's region code must be a GB/T 2260 division (one that exists or existed). For
    staff, the demo and tests: it says when the number already has an account. The online
    registration page uses ``open_applicant_account``, which never says so.
    """
    errors = _registration_errors(name=name, id_number=id_number, phone=phone, password=password)
    number = parse_resident_id(id_number).number if "id_number" not in errors else ""
    if number and _account_for_number(number) is not None:
        errors["id_number"] = [ValidationError(_("该身份证号码已注册账户，请直接登录或找回密码。"), code="taken")]
    if errors:
        raise ValidationError(errors)
    person = register_person(name=name, id_number=number, phone=phone)
    user = User(username=f"applicant-{person.public_id.hex[:16]}", full_name=person.name, kind=UserKind.APPLICANT)
    user.person = person
    user.set_password(password)
    user.save()
    record("identity.applicant_registered", user, user, request=request)
    return user


@transaction.atomic
def account_for_person(person: NaturalPerson, *, source: str) -> User:
    """The applicant account of a person known to the platform, opened without a password if
    there is none (an application filed for them elsewhere, e.g. on the provincial hall; they
    claim it with the password reset of online registration). ``source`` is audited.
    """
    account = User.objects.select_for_update().filter(kind=UserKind.APPLICANT, person=person).first()
    if account is not None:
        return account
    account = User(username=f"applicant-{person.public_id.hex[:16]}", full_name=person.name, kind=UserKind.APPLICANT)
    account.person = person
    account.set_unusable_password()
    account.save()
    record("identity.applicant_opened_for", "system", account, {"source": source})
    return account


@transaction.atomic
def open_account_for_intake(person: NaturalPerson) -> User:
    """The account of a person whose application a window clerk files (一窗受理); opened if there is none."""
    return account_for_person(person, source="window")


def _account_for_number(number: str, *, lock: bool = False) -> User | None:
    accounts = User.objects.filter(
        kind=UserKind.APPLICANT, person__id_number_hash=lookup_hash(number, purpose=ID_NUMBER)
    )
    return (accounts.select_for_update() if lock else accounts).first()


# A second submission of the same registration within this time, with the same password, is the
# same person pressing twice (or retrying a slow page), not somebody else:
_REPEAT_WINDOW = datetime.timedelta(minutes=10)


def open_applicant_account(
    *, name: str, id_number: str, phone: str, password: str, request: HttpRequest | None = None
) -> None:
    """Register online without telling anybody whether the ID number already has an account.

    A new number gets its account at once (the registrant then logs in with the number or the
    phone). A number that has one keeps it unchanged, and its holder is told through the
    platform's notifications (workspace, SMS/email as configured) that somebody tried; the
    same registration repeated within minutes with the same password (a double click, a
    retry) is recognised and tells nobody. Both cases take one password hash, so they take
    the same time. Raises ValidationError only for the form's own data, as
    ``register_applicant`` would.
    """
    errors = _registration_errors(name=name, id_number=id_number, phone=phone, password=password)
    if errors:
        raise ValidationError(errors)
    number = parse_resident_id(id_number).number
    try:
        with transaction.atomic():
            if _account_for_number(number, lock=True) is None:
                register_applicant(name=name, id_number=number, phone=phone, password=password, request=request)
                return
    except IntegrityError:
        pass  # a submission at the same moment opened the account first: it is the case below
    with transaction.atomic():
        owner = _account_for_number(number, lock=True)
        assert owner is not None
        if check_password(password, owner.password) and timezone.now() - owner.date_joined < _REPEAT_WINDOW:
            record("identity.registration_repeated", owner, owner, request=request)
            return
        _tell_owner_of_registration_attempt(owner)
        record(
            "identity.registration_for_registered_number",
            "register:" + mask_id_number(number),
            owner,
            {"owner_notified": True},
            outcome=AuditOutcome.DENIED,
            request=request,
        )


def _tell_owner_of_registration_attempt(owner: User) -> None:
    # proactive imports identity (its senders reveal the phone), so it is imported here:
    from govhall.proactive.actions import notify

    with translation.override(owner.language or settings.LANGUAGE_CODE):
        when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        subject = _("有人用您的身份证号码申请注册账户")
        body = _(
            "%(time)s，有人在本平台用您的身份证号码申请注册新账户。您已有账户，所以没有开通新账户，"
            "您的账户和密码都没有改变。如果是您本人，请直接用身份证号码或手机号码登录；"
            "如果不是您本人，请留意账户安全，如有疑问请到政务服务大厅窗口咨询。"
        ) % {"time": when}
    notify(owner, subject, body=body, link="/login/")


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
    username = username.strip()
    # Staff log in with their name in any case, so two names may not differ only in case:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            _("用户名 %(username)s 已被使用（不区分大小写）。") % {"username": username}, code="taken"
        )
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
    existing = Membership.objects.filter(user=user, department=department, role=role).first()
    if existing is not None:
        return existing
    check_role_grant(user, role)
    membership = Membership.objects.create(user=user, department=department, role=role)
    _sync_admin_access(user)
    record("identity.role_granted", actor, user, {"department": department.code, "role": role})
    return membership


def check_role_grant(user: User, role: str) -> None:
    """Refuse a role ``user`` may not hold: not staff, or against 三员分立. Raises ValidationError.

    ``grant_role`` refuses by it; the security administrator's form asks it first, so the
    refusal is a message at the form, not an error page.
    """
    if user.kind != UserKind.STAFF:
        raise ValidationError(_("只有工作人员账户可以被授予岗位角色。"), code="not_staff")
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if held and (role in ADMIN_ROLES or held & ADMIN_ROLES) and held != {role}:
        raise ValidationError(
            _("系统管理员、安全管理员、审计管理员必须由不同人员担任，且不能兼任业务角色（三员分立）。"),
            code="separation_of_duties",
        )


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


def _throttle(key: str) -> LoginThrottle:
    throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(
        account_hash=lookup_hash(key, purpose="login")
    )
    return throttle


def _is_locked(throttle: LoginThrottle | None, now: datetime.datetime) -> bool:
    return bool(throttle and throttle.locked_until and throttle.locked_until > now)


def _minutes_left(throttle: LoginThrottle, now: datetime.datetime) -> int:
    assert throttle.locked_until is not None
    return max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)


def login_with_password(request: HttpRequest, *, account: str, password: str, kind: str) -> User:
    """Log in an applicant (by ID number or phone) or a staff member (by user name).

    Failures are counted per account, whatever spelling of it was typed (ID number or phone
    number in any form, a user name in any case), and per client address (REMOTE_ADDR, set
    from X-Forwarded-For only behind GOVHALL_TRUSTED_PROXIES). LOGIN_FAILURE_LIMIT failures in
    a row lock the account, LOGIN_ADDRESS_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES
    lock the address, each for LOGIN_LOCKOUT_MINUTES, whatever password is then given. A name
    that is no account is counted and locked the same way, so a lock tells nothing. Every
    attempt is audited. Staff are logged in but not yet verified: the desk asks for their
    second factor. Raises LoginRefused with the message to show.
    """
    with transaction.atomic():
        attempt = _attempt_login(request, account=account, password=password, kind=kind)
    if attempt.user is None:
        raise LoginRefused(attempt.message)
    return attempt.user


def _attempt_login(request: HttpRequest, *, account: str, password: str, kind: str) -> _Attempt:
    now = timezone.now()
    holder = find_applicant_by_account(account) if kind == UserKind.APPLICANT else find_staff_by_username(account)
    address = client_ip(request)
    # Always the address row first, then the account's: two logins never wait on each other in a circle:
    by_address = _throttle(f"address:{address}") if address else None
    by_account = _throttle(f"{kind}:user:{holder.pk}" if holder else canonical_account(account, kind=kind))
    label = "login:" + (mask_id_number(account.strip()) if kind == UserKind.APPLICANT else account.strip()[:60])
    for scope, throttle in (("address", by_address), ("account", by_account)):
        if throttle is not None and _is_locked(throttle, now):
            extra = {"kind": kind, "scope": scope}
            record("identity.login_locked", label, None, extra, outcome=AuditOutcome.DENIED, request=request)
            minutes = _minutes_left(throttle, now)
            return _Attempt(None, _address_locked_message(minutes) if scope == "address" else _locked_message(minutes))
    user = authenticate(request, username=account, password=password, kind=kind)
    if user is None:
        message = _count_failure(by_account, now)
        if by_address is not None and _count_address_failure(by_address, now):
            message = _address_locked_message(settings.LOGIN_LOCKOUT_MINUTES)
        record("identity.login_failed", label, None, {"kind": kind}, outcome=AuditOutcome.FAILURE, request=request)
        return _Attempt(None, message)
    # A success clears the account's count, never the address's (one good account must not
    # let an address go on guessing the others):
    by_account.delete()
    login(request, user, backend="govhall.identity.backends.AccountBackend")
    request.session[SESSION_STARTED_AT] = int(now.timestamp())
    record("identity.login", user, user, {"kind": kind}, request=request)
    return _Attempt(user)


def _count_failure(throttle: LoginThrottle, now: datetime.datetime) -> str:
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
    return message


def _count_address_failure(throttle: LoginThrottle, now: datetime.datetime) -> bool:
    """Count a failure from an address in a window of LOGIN_LOCKOUT_MINUTES; True if it is now locked."""
    window = datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    if throttle.last_failure_at is None or now - throttle.last_failure_at > window:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    locked = throttle.failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
    if locked:
        throttle.locked_until = now + window
        throttle.failures = 0
    throttle.save()
    return locked


def _address_locked_message(minutes: int) -> str:
    return ngettext(
        "从您所在网络地址登录失败的次数过多，暂停登录，请%(minutes)d分钟后再试。",
        "从您所在网络地址登录失败的次数过多，暂停登录，请%(minutes)d分钟后再试。",
        minutes,
    ) % {"minutes": minutes}


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


# Passwords ---------------------------------------------------------------------------------


def change_password(user: User, *, current: str, new: str, request: HttpRequest | None = None) -> None:
    """Set a new password after checking the current one; the session stays logged in.

    The new password must pass every rule (AUTH_PASSWORD_VALIDATORS) and differ from the
    current one; it restarts the staff expiry clock. Audited, a refusal too. Raises
    ValidationError keyed by field.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        errors: dict[str, list[ValidationError]] = {}
        if not check_password(current, user.password):
            errors["current_password"] = [ValidationError(_("当前密码不正确。"), code="wrong_password")]
        elif current == new:
            errors["new_password"] = [ValidationError(_("新密码不能与当前密码相同。"), code="password_unchanged")]
        try:
            validate_password(new, user)
        except ValidationError as exc:
            errors.setdefault("new_password", []).append(exc)
        if errors:
            record("identity.password_change_refused", user, user, outcome=AuditOutcome.FAILURE, request=request)
        else:
            user.set_password(new)
            user.save(update_fields=["password", "password_changed_at"])
            record("identity.password_changed", user, user, request=request)
    if errors:
        raise ValidationError(errors)
    if request is not None:
        update_session_auth_hash(request, user)


# Second factor -----------------------------------------------------------------------------

# Letters and digits nobody confuses when the code is read out on the telephone (no 0/O, 1/I/L):
_ENROLMENT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_ENROLMENT_LENGTH = 12  # 59 bits: guessing is hopeless, and it must come with the password
# How long after giving the code the session may see the secret and confirm the authenticator:
_ENROLMENT_SESSION_SECONDS = 15 * 60


def _enrolment_hash(code: str) -> str:
    return lookup_hash("".join(code.split()).replace("-", "").upper(), purpose="totp_enrolment")


@transaction.atomic
def issue_enrolment_code(user: User, *, actor: User | str, request: HttpRequest | None = None) -> str:
    """Issue a one-time code with which ``user`` binds a new authenticator; return it in clear, once.

    Only a security administrator (三员分立) issues codes, and never for themselves; a string
    ``actor`` is a command run on the server (``manage.py issue_enrolment_code``: the first
    security administrator has nobody to issue theirs). The code is stored as a keyed hash,
    expires after TOTP_ENROLMENT_CODE_HOURS, and replaces the user's earlier codes and
    authenticators (a lost phone is replaced this way). Audited. Raises PermissionDenied for
    anybody else, ValidationError for an account that is not staff or is the actor's own.
    """
    if isinstance(actor, User) and not has_role(actor, Role.SECURITY_ADMIN):
        raise PermissionDenied
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.kind != UserKind.STAFF or not user.is_active:
        raise ValidationError(_("只能为在用的工作人员账户签发绑定码。"), code="not_staff")
    if isinstance(actor, User) and user.pk == actor.pk:
        raise ValidationError(_("不能为自己签发绑定码，请由另一位安全管理员签发。"), code="own_code")
    now = timezone.now()
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    replaced, _details = TOTPDevice.objects.filter(user=user).delete()
    code = "".join(secrets.choice(_ENROLMENT_ALPHABET) for _index in range(_ENROLMENT_LENGTH))
    expires_at = now + datetime.timedelta(hours=settings.TOTP_ENROLMENT_CODE_HOURS)
    EnrolmentCode.objects.create(
        user=user,
        code_hash=_enrolment_hash(code),
        issued_by=actor if isinstance(actor, User) else None,
        expires_at=expires_at,
    )
    record(
        "identity.enrolment_code_issued",
        actor,
        user,
        {"expires_at": expires_at.isoformat(), "authenticators_removed": replaced},
        request=request,
    )
    return "-".join(code[index : index + 4] for index in range(0, _ENROLMENT_LENGTH, 4))


def redeem_enrolment_code(request: HttpRequest, *, code: str) -> str:
    """Take a staff member's enrolment code and let this session see a new authenticator's secret.

    The code must be the user's own, unused and unexpired; it is used up at once. Returns ""
    on success, else the message to show. Every try is audited.
    """
    with transaction.atomic():
        user = request.user
        assert isinstance(user, User)
        now = timezone.now()
        entry = EnrolmentCode.objects.select_for_update().filter(user=user, code_hash=_enrolment_hash(code)).first()
        problem = ""
        if entry is None:
            problem = _("绑定码不正确，请核对安全管理员给您的12位绑定码。")
        elif entry.used_at is not None:
            problem = _("该绑定码已经使用过，每个绑定码只能用一次。请向安全管理员申请新的绑定码。")
        elif entry.expires_at <= now:
            problem = _("该绑定码已过期，请向安全管理员申请新的绑定码。")
        if problem or entry is None:
            record("identity.enrolment_code_refused", user, user, outcome=AuditOutcome.FAILURE, request=request)
            return problem
        entry.used_at = now
        entry.save(update_fields=["used_at"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
        request.session[SESSION_ENROLMENT] = {
            "device": device.pk,
            "until": int(now.timestamp()) + _ENROLMENT_SESSION_SECONDS,
        }
        record("identity.enrolment_code_used", user, user, request=request)
        return ""


def verify_second_factor(request: HttpRequest, *, token: str) -> str:
    """Check a staff member's TOTP code; on success mark the session verified and audit it.

    A device not yet confirmed (first enrolment) counts only in the session that gave the
    enrolment code for it, and is confirmed by its first correct code. After a wrong code
    django-otp makes the next try wait (doubling each time). Returns "" on success, else the
    message to show.
    """
    with transaction.atomic():
        return _verify_second_factor(request, token)


def _verify_second_factor(request: HttpRequest, token: str) -> str:
    user = request.user
    assert isinstance(user, User)
    token = token.strip().replace(" ", "")
    enrolling = enrolment_device_id(request)
    for device in TOTPDevice.objects.select_for_update().filter(user=user):
        if not device.confirmed and device.pk != enrolling:
            continue
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
                request.session.pop(SESSION_ENROLMENT, None)
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
    "change_password",
    "issue_enrolment_code",
    "open_applicant_account",
    "redeem_enrolment_code",
    "verify_second_factor",
]
