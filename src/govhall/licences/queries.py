"""Reading licences: verification (online and offline, of licences and 加注件), a holder's licences and copies, reuse."""

from __future__ import annotations

import base64
import datetime
import gzip
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.catalog.queries import licence_types_used_by
from govhall.identity.constants import RECORD_ROLES
from govhall.identity.models import Department, LegalEntity, User
from govhall.identity.queries import departments_covered, list_entities_for
from govhall.lib.credentials import CredentialError, KeySet
from govhall.lib.identifiers import mask_name
from govhall.lib.licence_ids import parse_licence_identifier
from govhall.licences.actions import public_holder
from govhall.licences.constants import LicenceStatus
from govhall.licences.models import Licence, LicenceCopy, LicenceType, StatusList
from govhall.licences.payload import PayloadVerifier, verify_payload_token


@dataclass
class Verification:
    """What a verifier is told. ``genuine`` False means the thing presented is not ours or is forged."""

    genuine: bool
    message: str
    licence: Licence | None = None
    status: str = ""
    status_label: str = ""
    usable: bool = False  # genuine, valid status and within validity
    claims: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """The answer the public page and API give: no more than the QR code itself shows."""
        data: dict[str, Any] = {"genuine": self.genuine, "usable": self.usable, "message": self.message}
        if self.licence is not None:
            lic = self.licence
            data.update(
                identifier=lic.identifier,
                licence_type=lic.licence_type.name,
                number=lic.number,
                holder=public_holder(lic),
                issuer=lic.issuer_name,
                issued_on=lic.issued_on.isoformat(),
                valid_from=lic.valid_from.isoformat(),
                valid_until=lic.valid_until.isoformat() if lic.valid_until else None,
                status=self.status,
                status_label=self.status_label,
            )
        return data


def _today() -> datetime.date:
    return timezone.localdate()


@dataclass
class CopyVerification:
    """What a verifier of a 加注件 is told: the copy's own standing and its licence's current one."""

    genuine: bool
    message: str
    copy: LicenceCopy | None = None
    licence_check: Verification | None = None
    expired: bool = False
    usable: bool = False  # genuine, not expired, and the licence usable today

    def public(self) -> dict[str, Any]:
        data: dict[str, Any] = {"genuine": self.genuine, "usable": self.usable, "message": self.message}
        if self.copy is not None and self.licence_check is not None:
            data.update(
                copy_id=str(self.copy.public_id),
                purpose=self.copy.purpose,
                maker=mask_name(self.copy.maker),
                made_at=timezone.localtime(self.copy.made_at).isoformat(timespec="minutes"),
                expires_on=self.copy.expires_on.isoformat(),
                expired=self.expired,
                licence=self.licence_check.public(),
            )
        return data


def judge(licence: Licence) -> Verification:
    """The licence's standing today: genuine (it is ours), and usable or not, with a plain message."""
    status = licence.status
    label = str(LicenceStatus(status).label)
    expired = licence.valid_until is not None and licence.valid_until < _today()
    if status == LicenceStatus.VALID and expired:
        status, label = LicenceStatus.EXPIRED, str(LicenceStatus.EXPIRED.label)
    if status == LicenceStatus.VALID:
        message = _("证照真实有效。")
    elif status == LicenceStatus.EXPIRED:
        message = _("证照真实，但已超过有效期。")
    else:
        message = _("证照真实，但当前状态为“%(status)s”，不能作为有效证照使用。") % {"status": label}
    return Verification(True, message, licence, status, label, usable=status == LicenceStatus.VALID)


# What a verification reads and shows of a licence (public(), judge(), the audit label, the
# staff link) and its type's name. A public check is the busiest read of the platform; the
# ORM spent three times the database's own work building this query on every call, so it is
# written out once (bench: "licence verification"). Every other column is deferred, as with
# ``only()``: reading one fetches it.
_CHECKED_COLUMNS = (
    "id",
    "public_id",
    "identifier",
    "number",
    "status",
    "holder_name",
    "holder_masked",
    "holder_code_type",
    "issuer_name",
    "issued_on",
    "valid_from",
    "valid_until",
    "licence_type_id",
)
_CHECK_SQL = (
    "SELECT {columns}, t.name AS licence_type_name FROM {licences} l JOIN {types} t ON t.id = l.licence_type_id"
    " WHERE l.identifier = %s"
).format(
    columns=", ".join(f"l.{column}" for column in _CHECKED_COLUMNS),
    licences=Licence._meta.db_table,
    types=LicenceType._meta.db_table,
)


def _checked_licence(identifier: str) -> Licence | None:
    for licence in Licence.objects.raw(_CHECK_SQL, [identifier]):
        # Its type as select_related would attach it, with only the name loaded:
        licence.licence_type = LicenceType.from_db(
            licence._state.db,
            ["id", "name"],
            [licence.licence_type_id, licence.licence_type_name],  # type: ignore[attr-defined]
        )
        return licence
    return None


def verify_identifier(text: str) -> Verification:
    """Check a typed or scanned licence identifier against the licence library."""
    try:
        parsed = parse_licence_identifier(text)
    except ValidationError as exc:
        return Verification(False, " ".join(exc.messages))
    licence = _checked_licence(str(parsed))
    if licence is None:
        return Verification(False, _("证照标识格式正确，但本平台没有这本证照。请核对，或向颁发机构查询。"))
    return judge(licence)


def payload_of(scanned: str) -> str:
    """The signed payload in what a QR code gave: the address's ``p`` (``payload`` on older codes), or the bare token."""
    text = scanned.strip()
    if "?" in text:
        query = parse_qs(urlsplit(text).query)
        values = query.get("p") or query.get("payload")
        if values:
            return values[0].strip()
    return text


def verify_payload(token: str) -> Verification:
    """Check a QR payload (or the whole scanned address): our signature, then the licence's current record."""
    try:
        claims = verify_payload_token(payload_of(token))
    except CredentialError as exc:
        return Verification(False, CREDENTIAL_MESSAGES.get(exc.code, CREDENTIAL_MESSAGES["malformed"])())
    licence = _checked_licence(str(claims.get("jti", "")))
    if licence is None:
        return Verification(False, _("二维码签名有效，但本平台没有这本证照的记录。"), claims=claims)
    result = judge(licence)
    result.claims = claims
    return result


def verify_copy(public_id: Any) -> CopyVerification:
    """Check a 加注件 by its id (printed in its footer): genuine, expired or not, and its licence's status today."""
    copy = LicenceCopy.objects.select_related("licence__licence_type").filter(public_id=public_id).first()
    if copy is None:
        return CopyVerification(False, _("本平台没有这份加注件。请核对加注件编号，或向出示人查询。"))
    check = judge(copy.licence)
    expired = copy.expires_on < _today()
    if expired:
        message = _("加注件真实，但已于 %(date)s 到期，不能再使用。") % {"date": copy.expires_on.isoformat()}
    elif not check.usable:
        message = _("加注件真实，但所依据的证照当前为“%(status)s”，加注件不能使用。") % {"status": check.status_label}
    else:
        message = _("加注件真实有效，仅可用于其上写明的用途。")
    return CopyVerification(True, message, copy, check, expired, usable=check.usable and not expired)


CREDENTIAL_MESSAGES = {
    "malformed": lambda: _("这不是本平台签发的证照二维码内容（格式无法识别）。"),
    "unknown_key": lambda: _("二维码由未知的密钥签名，不是本平台签发的证照。"),
    "bad_signature": lambda: _("二维码签名不正确：内容被篡改或伪造。"),
}


def decode_status_bits(encoded: str) -> bytes:
    return gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def bit_is_set(bits: bytes, index: int) -> bool:
    return index // 8 < len(bits) and bool(bits[index // 8] & (0x80 >> (index % 8)))


class OfflineVerifier:
    """What a verifier with no connection concludes, from the keys and status lists fetched earlier.

    The reference for offline apps, and it uses no database. Made once from the JWKS and the
    two status lists (their signatures are checked and their bits decoded here, once); then
    each ``check`` costs one signature verification and two bit look-ups. Raises
    CredentialError if a status list itself is not genuine.
    """

    def __init__(self, jwks: dict[str, Any], status_lists: dict[str, str]) -> None:
        self.keys = KeySet.from_jwks(jwks)
        self.payloads = PayloadVerifier(self.keys)
        self.bits: dict[str, bytes] = {}
        for purpose in ("revocation", "suspension"):
            list_claims, _kid = self.keys.verify(status_lists[purpose])
            self.bits[purpose] = decode_status_bits(list_claims["vc"]["credentialSubject"]["encodedList"])

    def check(self, token: str, today: datetime.date) -> tuple[str, dict[str, Any]]:
        """Returns (verdict, claims): valid, revoked, suspended, expired, forged, unknown_key or malformed."""
        try:
            claims = self.payloads.verify(payload_of(token))
        except CredentialError as exc:
            return ("forged" if exc.code == "bad_signature" else exc.code), {}
        index = int(claims.get("sl", -1))
        for purpose, verdict in (("revocation", "revoked"), ("suspension", "suspended")):
            if bit_is_set(self.bits[purpose], index):
                return verdict, claims
        if claims.get("vu") and datetime.date.fromisoformat(claims["vu"]) < today:
            return "expired", claims
        return "valid", claims


def check_offline(
    token: str, jwks: dict[str, Any], status_lists: dict[str, str], today: datetime.date
) -> tuple[str, dict[str, Any]]:
    """One offline check (``OfflineVerifier`` for many: it reads the keys and lists once)."""
    return OfflineVerifier(jwks, status_lists).check(token, today)


def status_list(purpose: str) -> str | None:
    return StatusList.objects.filter(purpose=purpose).values_list("credential", flat=True).first()


def holder_keys(user: User, entity: LegalEntity | None = None) -> list[str]:
    """The keys a user's licences are held under: their own ID number's, or the company's code."""
    if entity is not None:
        return [entity.credit_code]
    return [user.person.id_number_hash] if user.person_id and user.person else []


def licences_of(user: User) -> QuerySet[Licence]:
    """The user's licences and those of the companies they may act for."""
    keys = holder_keys(user) + [entity.credit_code for entity in list_entities_for(user)]
    return Licence.objects.filter(holder_key__in=keys).select_related("licence_type").order_by("-issued_on", "-pk")


def reusable_licences(keys: list[str], type_codes: list[str]) -> dict[str, list[Licence]]:
    """Valid, unexpired licences of the given types held under ``keys``, by type code."""
    today = _today()
    found: dict[str, list[Licence]] = {}
    licences = (
        Licence.objects.filter(holder_key__in=keys, licence_type__code__in=type_codes, status=LicenceStatus.VALID)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("licence_type")
        .order_by("-issued_on")
    )
    for licence in licences:
        found.setdefault(licence.licence_type.code, []).append(licence)
    return found


def licence_for_download(user: User, public_id: Any) -> Licence | None:
    return licences_of(user).filter(public_id=public_id).first()


def access_licence_for(user: User, public_id: Any) -> Licence:
    """One of the user's licences (or their companies'); Http404 for another's exactly as for none."""
    licence = licence_for_download(user, public_id)
    if licence is None:
        raise Http404
    return licence


def staff_licences(user: Any) -> QuerySet[Licence]:
    """The licences a staff member may open: the dossier's unit scope.

    A unit sees the licences it issued (by a case, or under its credit code) and those of the
    types its published items issue or accept as materials (what its work needs), for the
    departments where the user holds a record role, and every unit below them; nothing for
    anyone else.
    """
    departments = departments_covered(user, RECORD_ROLES)
    if not departments:
        return Licence.objects.none()
    codes = Department.objects.filter(pk__in=departments).values("credit_code")
    return Licence.objects.filter(
        Q(department_id__in=departments)
        | Q(department__isnull=True, issuer_code__in=codes)
        | Q(licence_type__code__in=licence_types_used_by(departments))
    )


def access_licence_for_staff(user: Any, public_id: Any) -> Licence:
    """A licence in the staff member's scope; Http404 outside it exactly as for none."""
    licence = staff_licences(user).select_related("licence_type", "replaces").filter(public_id=public_id).first()
    if licence is None:
        raise Http404
    return licence


def access_copy_for_staff(user: Any, public_id: Any) -> LicenceCopy:
    """A 加注件 of a licence in the staff member's scope; Http404 outside it exactly as for none."""
    copy = (
        LicenceCopy.objects.filter(licence__in=staff_licences(user), public_id=public_id)
        .select_related("licence__licence_type")
        .first()
    )
    if copy is None:
        raise Http404
    return copy


def list_copies_of(user: User) -> QuerySet[LicenceCopy]:
    """The 加注件 of every licence the user (or a company they act for) holds, newest first."""
    return LicenceCopy.objects.filter(licence__in=licences_of(user)).select_related("licence__licence_type")


def access_copy_for(user: User, public_id: Any) -> LicenceCopy:
    """A 加注件 of one of the user's licences; Http404 for another's exactly as for none."""
    copy = list_copies_of(user).filter(public_id=public_id).first()
    if copy is None:
        raise Http404
    return copy


def licence_of_case(case_public_id: Any) -> Licence | None:
    """The licence a case's approval issued, if any (one per case)."""
    return Licence.objects.select_related("licence_type").filter(case_public_id=case_public_id).first()


def licences_by_identifier(identifiers: list[str]) -> dict[str, Licence]:
    """Licences by their identifier (证照标识), for the ones that exist."""
    return {licence.identifier: licence for licence in Licence.objects.filter(identifier__in=identifiers)}


def valid_licences_of_type(licence_type: LicenceType) -> QuerySet[Licence]:
    """The valid licences of one type (the population of an inspection draw)."""
    return Licence.objects.filter(licence_type=licence_type, status=LicenceStatus.VALID)


def ended_licences_of_type(licence_type: LicenceType, *, on_or_before: datetime.date) -> QuerySet[Licence]:
    """The licences of one type whose validity ended on or before a day, whatever their status since."""
    return Licence.objects.filter(licence_type=licence_type, valid_until__lt=on_or_before + datetime.timedelta(days=1))


def valid_licences_ending_between(first: datetime.date, last: datetime.date) -> QuerySet[Licence]:
    """Valid licences whose validity ends within [first, last], in id order (for the renewal reminders)."""
    return (
        Licence.objects.filter(status=LicenceStatus.VALID, valid_until__gte=first, valid_until__lte=last)
        .select_related("licence_type")
        .order_by("pk")
    )
