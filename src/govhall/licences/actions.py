"""Every write to a licence: issue (render, sign, store once), status changes, renewal, expiry, 加注件, status lists."""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govhall.audit.actions import record
from govhall.identity.constants import Role
from govhall.identity.models import Department, EntityAuthorisation, LegalEntity, NaturalPerson, User
from govhall.identity.queries import has_role_for
from govhall.lib.credentials import credential_keys, sign_credential
from govhall.lib.identifiers import mask_name
from govhall.lib.jsonforms import validate_answers
from govhall.lib.licence_ids import make_licence_identifier
from govhall.lib.pdf import missing_glyphs
from govhall.lib.signing import sign_pdf
from govhall.lib.urls import public_url
from govhall.licences.constants import (
    COPY_MAX_DAYS,
    COPY_PURPOSE_MAX_LENGTH,
    REVOCATION_STATUSES,
    STATUS_LIST_MIN_BITS,
    SUSPENSION_STATUSES,
    TRANSITIONS,
    HolderCodeType,
    LicenceStatus,
)
from govhall.licences.documents import check_printable, licence_seal, render_copy, render_licence
from govhall.licences.models import IndexCounter, Licence, LicenceCopy, LicenceEvent, LicenceType, StatusList
from govhall.licences.payload import sign_payload
from govhall.proactive.actions import notify_many

logger = logging.getLogger(__name__)


class InvalidStatusChange(ValidationError):
    """The licence is not in a status from which this change is allowed."""


def _today() -> datetime.date:
    return timezone.localdate()


def reserve_status_indexes(count: int) -> int:
    """Reserve ``count`` consecutive status-list positions; return the first. Call inside a transaction."""
    IndexCounter.objects.bulk_create([IndexCounter(pk=1)], ignore_conflicts=True)
    counter = IndexCounter.objects.select_for_update().get(pk=1)
    first = counter.last
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def public_holder_name(licence: Licence) -> str:
    """The holder's name as the public sees it: a company's in full, a person's masked."""
    if licence.holder_code_type == HolderCodeType.CREDIT_CODE:
        return licence.holder_name
    return mask_name(licence.holder_name)


def public_holder(licence: Licence) -> str:
    """The holder as the public sees it: name (masked for a person) and code (as printed)."""
    return f"{public_holder_name(licence)}（{licence.holder_masked}）"


def credential_payload(licence: Licence) -> dict[str, Any]:
    """The facts the QR code carries, signed and checked offline with the published keys (licences.payload).

    Each is written once: the identifier is rebuilt from its parts, the number from its prefix
    and the serial, and the verification link from the payload itself.
    """
    return {
        "iss": licence.issuer_code,
        "typ": licence.licence_type.code,
        "ser": licence.serial,
        "ver": licence.version,
        "nm": licence.licence_type.name,
        "no": licence.number,
        "hn": public_holder_name(licence),
        "hc": licence.holder_masked,
        "vf": licence.valid_from.isoformat(),
        "vu": licence.valid_until.isoformat() if licence.valid_until else None,
        "sl": licence.status_index,
    }


def _valid_until(licence_type: LicenceType, start: datetime.date) -> datetime.date | None:
    if not licence_type.validity_years:
        return None
    try:
        end = start.replace(year=start.year + licence_type.validity_years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + licence_type.validity_years, day=28)
    return end - datetime.timedelta(days=1)


def _event(
    licence: Licence,
    operation: str,
    actor: Any,
    *,
    to: str = "",
    frm: str = "",
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    LicenceEvent.objects.create(
        licence=licence,
        operation=operation,
        from_status=frm,
        to_status=to,
        reason=reason,
        actor_label=actor.get_username() if isinstance(actor, User) else str(actor or "system"),
    )
    record(
        f"licences.{operation}",
        actor,
        licence,
        {"identifier": licence.identifier, "to": to, "reason": reason, **(extra or {})},
    )


def issue_licence(
    licence_type: LicenceType,
    *,
    person: NaturalPerson | None,
    entity: LegalEntity | None,
    face: dict[str, Any],
    actor: Any,
    case_public_id: Any = None,
    case_reference: str = "",
    replaces: Licence | None = None,
    department: Department | None = None,
) -> Licence:
    """Issue a licence: identifier, face data, signed QR payload and signed PDF, in the caller's transaction.

    The PDF is rendered and signed once here and stored; downloads serve that file. A case
    issues at most one licence (unique ``case_public_id``). Raises ValidationError if the
    face data does not fit the type or a character cannot be printed.
    """
    if not licence_type.issued_here or not licence_type.issuer_code:
        raise ValidationError(_("证照类型“%(name)s”不由本平台签发。") % {"name": licence_type.name})
    if (person is None) == (entity is None):
        raise ValueError("a licence has exactly one holder: a person or an entity")
    problems = validate_answers(licence_type.face_schema or {"type": "object"}, face)
    if problems:
        raise ValidationError([m for messages in problems.values() for m in messages])
    today = _today()
    with transaction.atomic():
        index = reserve_status_indexes(1)
        serial = f"{today:%Y}{index + 1:08d}"
        version = (replaces.version + 1) if replaces else 1
        number = f"{licence_type.layout.get('number_prefix', '')}{serial}"
        if entity is not None:
            holder = dict(
                holder_name=entity.name,
                holder_code_type=HolderCodeType.CREDIT_CODE,
                holder_key=entity.credit_code,
                holder_masked=entity.credit_code,
            )
        else:
            assert person is not None
            holder = dict(
                holder_name=person.name,
                holder_code_type=HolderCodeType.RESIDENT_ID,
                holder_key=person.id_number_hash,
                holder_masked=person.id_number_masked,
            )
        licence = Licence(
            identifier=make_licence_identifier(licence_type.code, licence_type.issuer_code, serial, version),
            licence_type=licence_type,
            number=number,
            serial=serial,
            version=version,
            issuer_name=licence_type.issuer_name,
            issuer_code=licence_type.issuer_code,
            issued_on=today,
            valid_from=today,
            valid_until=_valid_until(licence_type, today),
            face=face,
            status_index=index,
            case_public_id=case_public_id,
            case_reference=case_reference,
            replaces=replaces,
            department=department,
            **holder,
        )
        check_printable(licence)
        licence.credential = sign_payload(credential_payload(licence))
        licence.credential_kid = credential_keys()[0].kid
        signed = sign_pdf(
            render_licence(licence),
            reason=_("电子证照签发"),
            location=settings.BUREAU_NAME,
            seal=licence_seal(licence),
        )
        licence.signed_at = timezone.now()
        licence.document_sha256 = hashlib.sha256(signed).hexdigest()
        licence.document.save("licence.pdf", ContentFile(signed), save=False)
        licence.save()
        _event(licence, "issued", actor, to=LicenceStatus.VALID, reason=case_reference)
    return licence


# Status changes ------------------------------------------------------------------------------

OPERATIONS = {
    "suspend": LicenceStatus.SUSPENDED,
    "restore": LicenceStatus.VALID,
    "revoke": LicenceStatus.REVOKED,
    "cancel": LicenceStatus.CANCELLED,
    "penalty_revoke": LicenceStatus.PENALTY_REVOKED,
}


def issuing_department(licence: Licence) -> Department | None:
    """The unit answerable for a licence: the one that issued it, or the body whose code issued it.

    None for a licence another authority issued (imported from its records): this platform
    does not change those.
    """
    if licence.department_id:
        return licence.department
    return Department.objects.filter(credit_code=licence.issuer_code).order_by("parent_id", "pk").first()


def may_manage(actor: Any, licence: Licence) -> bool:
    """Clerks and approvers of the issuing unit (or a unit above it) change a licence's status."""
    department = issuing_department(licence)
    return (
        isinstance(actor, User)
        and department is not None
        and (has_role_for(actor, Role.APPROVER, department) or has_role_for(actor, Role.CLERK, department))
    )


def _refuse_unless_manager(actor: Any, licence: Licence) -> None:
    if issuing_department(licence) is None:
        raise PermissionDenied(_("这本证照由其他机关颁发，本平台不能变更其状态，请联系颁发机关。"))
    if not may_manage(actor, licence):
        raise PermissionDenied(_("只有证照颁发部门的工作人员可以变更证照状态。"))


def _lock(licence: Licence) -> Licence:
    return Licence.objects.select_for_update().select_related("licence_type").get(pk=licence.pk)


@transaction.atomic
def change_status(licence: Licence, operation: str, *, actor: Any, reason: str) -> Licence:
    """Suspend, restore, revoke, cancel: with a reason, audited, and the status lists republished."""
    if operation not in OPERATIONS:
        raise ValueError(operation)
    if actor != "system":
        _refuse_unless_manager(actor, licence)
    if not reason.strip():
        raise ValidationError(_("请写明变更证照状态的原因。"))
    licence = _lock(licence)
    to = OPERATIONS[operation]
    if to not in TRANSITIONS[licence.status]:
        raise InvalidStatusChange(
            _("证照当前为“%(status)s”，不能%(operation)s。")
            % {"status": licence.get_status_display(), "operation": OPERATION_LABELS[operation]},
            code="invalid_status_change",
        )
    frm = licence.status
    licence.status = to
    licence.save(update_fields=["status"])
    _event(licence, operation, actor, frm=frm, to=to, reason=reason)
    _tell_holder(licence, lambda: _status_message(licence, operation, reason))
    transaction.on_commit(publish_status_lists_after_commit)
    return licence


def holder_accounts(licence: Licence) -> list[User]:
    """The accounts that hold ``licence``: the person's own, or those acting for the company."""
    return holder_accounts_of([licence.holder_key]).get(licence.holder_key, [])


def holder_accounts_of(holder_keys: list[str]) -> dict[str, list[User]]:
    """Holder key → the accounts that hold licences of that key, for many licences in two indexed queries.

    (One query with an OR across the person and the authorisation joins cannot use either index:
    it read every account, 100 ms a licence at 100,000 accounts.)
    """
    keys = {key for key in holder_keys if key}
    found: dict[str, list[User]] = {}
    if not keys:
        return found
    for user in User.objects.filter(is_active=True, person__id_number_hash__in=keys).select_related("person"):
        assert user.person is not None
        found.setdefault(user.person.id_number_hash, []).append(user)
    authorisations = EntityAuthorisation.objects.filter(
        is_active=True, user__is_active=True, entity__credit_code__in=keys
    ).select_related("user", "entity")
    for authorisation in authorisations:
        holders = found.setdefault(authorisation.entity.credit_code, [])
        if authorisation.user not in holders:
            holders.append(authorisation.user)
    return found


def _tell_holder(licence: Licence, message: Callable[[], tuple[str, str]]) -> None:
    """Tell every holder account what happened to the licence, each in the language they chose."""
    letters = []
    for user in holder_accounts(licence):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = message()
        letters.append((user, subject, body, reverse("licences:my_licences")))
    notify_many(letters)


def _status_message(licence: Licence, operation: str, reason: str) -> tuple[str, str]:
    names = {"licence": licence.licence_type.name, "number": licence.number}
    what_next = {
        "suspend": _("暂停期间不能凭此证照办事；如有异议，请联系颁发机关（电话 %(phone)s）。"),
        "restore": _("证照已恢复有效，可以正常使用，无需您做什么。"),
    }.get(
        operation,
        _("证照已不再有效。如不服，可自知道之日起60日内申请行政复议，或6个月内提起行政诉讼；咨询电话 %(phone)s。"),
    ) % {"phone": settings.BUREAU_PHONE}
    subject = {
        "suspend": _("您的%(licence)s（%(number)s）已暂停使用，请查看原因。"),
        "restore": _("您的%(licence)s（%(number)s）已恢复有效。"),
        "revoke": _("您的%(licence)s（%(number)s）已被撤销，不再有效。"),
        "cancel": _("您的%(licence)s（%(number)s）已注销，不再有效。"),
        "penalty_revoke": _("您的%(licence)s（%(number)s）已被吊销，不再有效。"),
    }[operation] % names
    body = "\n".join([_("原因：%(reason)s") % {"reason": reason.strip()}, what_next])
    return subject, body


def _renewal_message(old: Licence, new: Licence) -> tuple[str, str]:
    subject = _("您的%(licence)s已换发新证（%(number)s），可在“我的证照”下载。") % {
        "licence": new.licence_type.name,
        "number": new.number,
    }
    body = _("原证照（%(old)s）已注销，请改用新证照；新证有效期至%(until)s。") % {
        "old": old.number,
        "until": date_format(new.valid_until, "DATE_FORMAT") if new.valid_until else "—",
    }
    return subject, body


OPERATION_LABELS = {
    "suspend": gettext_lazy("暂停"),
    "restore": gettext_lazy("恢复"),
    "revoke": gettext_lazy("撤销"),
    "cancel": gettext_lazy("注销"),
    "penalty_revoke": gettext_lazy("吊销"),
}


RENEWABLE = frozenset({LicenceStatus.VALID, LicenceStatus.SUSPENDED, LicenceStatus.EXPIRED})

EVENT_LABELS = {
    **OPERATION_LABELS,
    "issued": gettext_lazy("签发"),
    "renewed": gettext_lazy("换发（原证注销）"),
    "expired": gettext_lazy("过期"),
    "copied": gettext_lazy("制作加注件"),
    "inspected": gettext_lazy("证后检查"),
}


@transaction.atomic
def renew_licence(
    licence: Licence,
    *,
    actor: Any,
    reason: str,
    face: dict[str, Any] | None = None,
    case_public_id: Any = None,
    case_reference: str = "",
) -> Licence:
    """A new licence (next version) that replaces ``licence``; the old one is cancelled.

    Approving a renewal application calls this with the case, which the new licence names.
    """
    _refuse_unless_manager(actor, licence)
    old = _lock(licence)
    if old.status not in RENEWABLE:
        raise InvalidStatusChange(_("只有有效、暂停或过期的证照可以换发。"), code="invalid_status_change")
    person = NaturalPerson.objects.filter(id_number_hash=old.holder_key).first()
    entity = LegalEntity.objects.filter(credit_code=old.holder_key).first()
    new = issue_licence(
        old.licence_type,
        person=None if entity else person,
        entity=entity,
        face=face if face is not None else old.face,
        actor=actor,
        replaces=old,
        department=old.department,
        case_public_id=case_public_id,
        case_reference=case_reference,
    )
    if old.status != LicenceStatus.EXPIRED:
        previous = old.status
        old.status = LicenceStatus.CANCELLED
        old.save(update_fields=["status"])
        _event(old, "renewed", actor, frm=previous, to=LicenceStatus.CANCELLED, reason=reason)
        transaction.on_commit(publish_status_lists_after_commit)
    _tell_holder(new, lambda: _renewal_message(old, new))
    return new


@transaction.atomic
def expire_licences(today: datetime.date | None = None) -> int:
    """Mark every licence past its validity as expired (set-based); republish the lists."""
    today = today or _today()
    due = Licence.objects.filter(
        status__in=[LicenceStatus.VALID, LicenceStatus.SUSPENDED], valid_until__lt=today
    ).values_list("pk", flat=True)
    ids = list(due)
    count = Licence.objects.filter(pk__in=ids).update(status=LicenceStatus.EXPIRED)
    if count:
        LicenceEvent.objects.bulk_create(
            [
                LicenceEvent(licence_id=pk, operation="expired", to_status=LicenceStatus.EXPIRED, actor_label="system")
                for pk in ids
            ]
        )
        record("licences.expired", "system", None, {"count": count, "day": today.isoformat()})
        transaction.on_commit(publish_status_lists_after_commit)
    return count


# 加注件 ------------------------------------------------------------------------------------------


def _copy_problems(
    licence: Licence, purpose: str, expires_on: datetime.date, today: datetime.date
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not purpose:
        problems["purpose"] = [_("请写明加注件的用途。")]
    elif len(purpose) > COPY_PURPOSE_MAX_LENGTH:
        problems["purpose"] = [_("用途最多写 %(max)s 个字。") % {"max": COPY_PURPOSE_MAX_LENGTH}]
    elif missing := missing_glyphs(purpose):
        problems["purpose"] = [
            _("用途中有无法印在加注件上的字符：%(chars)s。请换一种写法。")
            % {"chars": " ".join(f"{c}（U+{ord(c):04X}）" for c in missing)}
        ]
    latest = today + datetime.timedelta(days=COPY_MAX_DAYS)
    if expires_on <= today:
        problems["expires_on"] = [_("加注件的有效期须晚于今天。")]
    elif expires_on > latest:
        problems["expires_on"] = [
            _("加注件的有效期最长 %(days)s 天，最晚到 %(date)s。") % {"days": COPY_MAX_DAYS, "date": latest.isoformat()}
        ]
    elif licence.valid_until is not None and expires_on > licence.valid_until:
        problems["expires_on"] = [
            _("加注件的有效期不能晚于证照本身的有效期（%(date)s）。") % {"date": licence.valid_until.isoformat()}
        ]
    return problems


@transaction.atomic
def make_licence_copy(licence: Licence, *, actor: User, purpose: str, expires_on: datetime.date) -> LicenceCopy:
    """Make a 加注件 of ``licence``: the page watermarked with the purpose and expiry, signed, stored once.

    The caller has let ``actor`` through an access gate (queries.access_licence_for). Locks the
    licence row, so a copy is never made of a licence revoked at the same moment. Only a valid
    licence within its validity that has a document can be copied; the purpose (whitespace
    collapsed) must be non-empty, at most COPY_PURPOSE_MAX_LENGTH characters and printable;
    the expiry after today, within COPY_MAX_DAYS and not after the licence's own validity.
    Raises ValidationError (by field, ``purpose`` and ``expires_on``, when the input is wrong).
    """
    licence = _lock(licence)
    today = _today()
    if licence.status != LicenceStatus.VALID or (licence.valid_until is not None and licence.valid_until < today):
        status = LicenceStatus.EXPIRED if licence.status == LicenceStatus.VALID else LicenceStatus(licence.status)
        raise ValidationError(
            _("只有有效的证照可以制作加注件；这本证照当前为“%(status)s”。") % {"status": status.label},
            code="licence_not_valid",
        )
    if not licence.document:
        raise ValidationError(_("这本证照是历史导入的，平台没有它的电子文件，不能制作加注件。"), code="no_document")
    purpose = " ".join(purpose.split())
    problems = _copy_problems(licence, purpose, expires_on, today)
    if problems:
        raise ValidationError(problems)
    copy = LicenceCopy(
        licence=licence,
        purpose=purpose,
        maker=str(actor)[:150],
        made_at=timezone.now(),
        expires_on=expires_on,
    )
    # Rendered once with the watermark inside the signed page: taking it off breaks the signature.
    signed = sign_pdf(
        render_copy(copy), reason=_("电子证照加注件"), location=settings.BUREAU_NAME, seal=licence_seal(licence)
    )
    copy.document_sha256 = hashlib.sha256(signed).hexdigest()
    copy.document.save("copy.pdf", ContentFile(signed), save=False)
    copy.save()
    _event(
        licence,
        "copied",
        actor,
        reason=purpose,
        extra={"copy": str(copy.public_id), "expires_on": expires_on.isoformat()},
    )
    return copy


# Status lists --------------------------------------------------------------------------------


def encode_bits(positions: list[int], size: int) -> str:
    """W3C Bitstring Status List encoding: GZIP, then base64url without padding (first bit = index 0)."""
    bits = bytearray(size // 8)
    for index in positions:
        bits[index // 8] |= 0x80 >> (index % 8)
    return base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode()


def status_list_url(purpose: str) -> str:
    return public_url(f"/licences/status/{purpose}/")


def publish_status_lists_after_commit() -> None:
    """After a status change has committed: publish at once; if that fails, a background task retries.

    The change itself stands either way — a failure here must not turn a clerk's committed
    revocation into an error page — and offline checkers get the new list as soon as it is signed.
    """
    try:
        publish_status_lists()
    except Exception:
        logger.exception("Status lists not published; a background task will retry")
        from govhall.licences.tasks import publish_status_lists_later

        publish_status_lists_later.enqueue(1)


@transaction.atomic
def publish_status_lists() -> None:
    """Sign and store the revocation and suspension lists as they are now (W3C Bitstring Status List, JWT)."""
    last = IndexCounter.objects.filter(pk=1).values_list("last", flat=True).first() or 0
    size = max(STATUS_LIST_MIN_BITS, ((last + 8191) // 8192) * 8192)
    now = timezone.now()
    for purpose, statuses in (("revocation", REVOCATION_STATUSES), ("suspension", SUSPENSION_STATUSES)):
        positions = list(Licence.objects.filter(status__in=statuses).values_list("status_index", flat=True))
        token = sign_credential(
            {
                "iss": settings.BUREAU_CREDIT_CODE,
                "iat": int(now.timestamp()),
                "vc": {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "id": status_list_url(purpose),
                    "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                    "issuer": settings.BUREAU_NAME,
                    "validFrom": now.isoformat(),
                    "credentialSubject": {
                        "id": f"{status_list_url(purpose)}#list",
                        "type": "BitstringStatusList",
                        "statusPurpose": purpose,
                        "encodedList": encode_bits(positions, size),
                    },
                },
            },
            typ="vc+jwt",
        )
        StatusList.objects.update_or_create(purpose=purpose, defaults={"credential": token})


@transaction.atomic
def record_inspection(licence: Licence, *, actor: Any, result_label: str, findings: str) -> None:
    """An inspection after issue (证后监管) goes on the licence's history; the status does not change."""
    _event(licence, "inspected", actor, reason=f"{result_label}：{findings}"[:2000])
