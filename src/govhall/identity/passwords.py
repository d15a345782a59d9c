"""Password rules for 等级保护 level 3 (STANDARDS.md §7), on top of Django's common-password list.

Length by kind of account: staff 12, applicants 8. A staff account opens every case of its
units and has a second factor it can lose to the same phishing page, so its password must
hold out against an offline attack on a stolen hash for longer; a citizen logs in a few times a
year, is locked out after a few failures, and a rule they cannot remember sends them to the
hall's counter. 8 is the floor of GB/T 22239 practice, 12 what NIST SP 800-63B and the BSI
advise where a password guards many people's data.
"""

from __future__ import annotations

import copy
import string
from typing import Any

from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from govhall.identity.constants import UserKind
from govhall.lib.crypto import decrypt_text

# Set on a user that is not saved yet (a registration in progress): the ID number and phone
# it will carry, so that the password can be checked against them before anything is stored:
_IDENTIFIERS = "_govhall_password_identifiers"


def attach_identifiers(user: Any, *, id_number: str = "", phone: str = "") -> Any:
    """Give an unsaved user the ID number and phone number its password must not contain."""
    setattr(user, _IDENTIFIERS, (id_number, phone))
    return user


def _identifiers(user: Any) -> tuple[str, str]:
    if user is None:
        return "", ""
    attached = getattr(user, _IDENTIFIERS, None)
    if attached is not None:
        return attached
    person = getattr(user, "person", None) if getattr(user, "person_id", None) else None
    if person is None:
        return "", ""
    # Decrypted only to compare, in memory; nobody sees it, so it is not a "view" to audit:
    return decrypt_text(person.id_number_encrypted), decrypt_text(
        person.phone_encrypted
    ) if person.phone_encrypted else ""


class MinimumLengthValidator:
    """At least ``staff`` characters for a staff account, ``applicant`` for an applicant's."""

    def __init__(self, staff: int = 12, applicant: int = 8) -> None:
        self.staff = staff
        self.applicant = applicant

    def _minimum(self, user: Any) -> int:
        # Without an account to look at, the stricter rule:
        return self.applicant if getattr(user, "kind", None) == UserKind.APPLICANT else self.staff

    def validate(self, password: str, user: Any = None) -> None:
        minimum = self._minimum(user)
        if len(password) < minimum:
            raise ValidationError(
                _("密码太短：至少需要%(minimum)d个字符。") % {"minimum": minimum}, code="password_too_short"
            )

    def get_help_text(self) -> str:
        return _("工作人员密码至少%(staff)d位，个人账户密码至少%(applicant)d位。") % {
            "staff": self.staff,
            "applicant": self.applicant,
        }


class CharacterClassValidator:
    """Require at least three of: lower-case letters, upper-case letters, digits, symbols."""

    required_classes = 3

    def _classes(self, password: str) -> int:
        return sum(
            [
                any(c in string.ascii_lowercase for c in password),
                any(c in string.ascii_uppercase for c in password),
                any(c in string.digits for c in password),
                any(not c.isalnum() for c in password),
            ]
        )

    def validate(self, password: str, user: Any = None) -> None:
        if self._classes(password) < self.required_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、符号中的至少三类。")


class PersonalDataValidator:
    """Refuse a password that contains the account's ID number, phone number or user name.

    Also the parts of an ID number people use as a password: its birth date (``19850312``) and
    its last six characters, the default PIN of many counters. Case is ignored.
    """

    def validate(self, password: str, user: Any = None) -> None:
        typed = password.upper()
        id_number, phone = _identifiers(user)
        if id_number and any(part in typed for part in (id_number, id_number[6:14], id_number[-6:])):
            raise ValidationError(
                _("密码不能包含您的身份证号码，也不能包含其中的出生日期或后六位。"), code="password_has_id_number"
            )
        if phone and phone.replace("-", "") in typed.replace("-", ""):
            raise ValidationError(_("密码不能包含您的手机号码。"), code="password_has_phone")
        # An applicant's user name is made up by the platform and never shown; staff type theirs:
        is_staff = getattr(user, "kind", None) != UserKind.APPLICANT
        username = "".join(str(getattr(user, "username", "") or "").split()).upper() if is_staff else ""
        if len(username) >= 3 and username in typed:
            raise ValidationError(_("密码不能包含您的用户名。"), code="password_has_username")

    def get_help_text(self) -> str:
        return _("密码不能包含您的身份证号码、手机号码或用户名。")


class SimilarityValidator(UserAttributeSimilarityValidator):
    """Django's "too similar to your user name, name, email", without an applicant's user name.

    An applicant's user name (``applicant-…``) is made up by the platform and never shown, so a
    password refused for resembling it would make no sense to them.
    """

    def validate(self, password: str, user: Any = None) -> None:
        if getattr(user, "kind", None) != UserKind.APPLICANT:
            return super().validate(password, user)
        without = copy.copy(self)
        without.user_attributes = tuple(name for name in self.user_attributes if name != "username")
        return UserAttributeSimilarityValidator.validate(without, password, user)
