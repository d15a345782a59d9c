"""Validators for the identifiers that key a subject (STANDARDS.md §4).

- Resident ID numbers (公民身份号码, GB 11643-1999): our own checked validator, because
  python-stdnum's ``cn.ric`` rejects some real numbers (it checks the address code against
  a list, and old codes stay on issued cards). 15-digit legacy numbers are upgraded to 18.
- Unified social credit codes (统一社会信用代码, GB 32100-2015): python-stdnum's ``cn.uscc``,
  plus the Xiamen 2015 pilot caveat (codes ``9135….M000…`` fail the check digit but are
  legally valid). Such a code is accepted, with a warning, only when the platform has it on
  record (the caller says how to ask) or it is configured (``GOVHALL_PILOT_CREDIT_CODES``);
  otherwise a typo in a pilot-shaped code would pass unnoticed.

Errors are Django ``ValidationError`` s whose messages are translated (Chinese and English).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
_RESIDENT_18 = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_15 = re.compile(r"^\d{15}$")
_EARLIEST_BIRTH = datetime.date(1800, 1, 1)

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_FORMAT = re.compile(r"^[0-9A-Z]{18}$")
# Codes issued in Xiamen's 2015 pilot: they fail the check digit but are legally valid.
_XIAMEN_PILOT = re.compile(r"^9135\d{4}M000")


# People type full-width digits and spaces from Chinese input methods:
_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹｘ"}
_SEPARATORS = re.compile(r"[\s\-]")


def _clean(value: str) -> str:
    return _SEPARATORS.sub("", (value or "").translate(_FULL_WIDTH)).upper()


def resident_check_character(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK[total % 11]


@dataclass(frozen=True)
class ResidentId:
    """A valid 18-character resident ID number and what it says."""

    number: str
    region_code: str
    birth_date: datetime.date
    is_male: bool
    upgraded_from: str = ""
    warnings: tuple[str, ...] = field(default=())


def _birth_date(text: str, today: datetime.date) -> datetime.date:
    try:
        born = datetime.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ValidationError(
            _("身份证号码中的出生日期 %(date)s 不存在。"),
            code="impossible_birth_date",
            params={"date": f"{text[0:4]}-{text[4:6]}-{text[6:8]}"},
        ) from None
    if born > today or born < _EARLIEST_BIRTH:
        raise ValidationError(
            _("身份证号码中的出生日期 %(date)s 不可能是真实的出生日期。"),
            code="impossible_birth_date",
            params={"date": born.isoformat()},
        )
    return born


def parse_resident_id(value: str, *, today: datetime.date | None = None) -> ResidentId:
    """Validate a resident ID number (18 characters, or a legacy 15-digit one) and parse it.

    Unknown address codes are accepted: codes change and old ones stay on issued cards.
    Raises ValidationError with a message that says what is wrong.
    """
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar date, compared with a birth date
    number = _clean(value)
    upgraded_from = ""
    if _RESIDENT_15.match(number):
        # Legacy numbers: YYMMDD in the 20th century and no check character.
        upgraded_from = number
        first17 = number[:6] + "19" + number[6:]
        _birth_date(first17[6:14], today)
        number = first17 + resident_check_character(first17)
    if not number:
        raise ValidationError(_("请填写身份证号码。"), code="required")
    if len(number) != 18:
        raise ValidationError(
            _("身份证号码应为18位（或旧式15位），您输入了%(count)d位。"),
            code="length",
            params={"count": len(number)},
        )
    if not _RESIDENT_18.match(number):
        raise ValidationError(
            _("身份证号码前17位只能是数字，最后一位是数字或X。"),
            code="format",
        )
    born = _birth_date(number[6:14], today)
    expected = resident_check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("身份证号码校验位不正确（最后一位应为 %(expected)s），请核对是否输错。"),
            code="check_digit",
            params={"expected": expected},
        )
    return ResidentId(
        number=number,
        region_code=number[:6],
        birth_date=born,
        is_male=int(number[16]) % 2 == 1,
        upgraded_from=upgraded_from,
    )


def check_region_code(resident: ResidentId, *, is_known: Callable[[str], bool]) -> None:
    """Refuse an ID number whose address code (its first six digits) is no administrative division.

    ``is_known`` says whether a GB/T 2260 code exists or ever existed (the list is data, kept
    by the caller): a card keeps the code of where it was first issued, so a code retired long
    ago is still good, while ``000000`` or a made-up code is not. A 15-digit number carries
    the same code. Raises ValidationError.
    """
    if not is_known(resident.region_code):
        raise ValidationError(
            _("身份证号码前6位地址码 %(code)s 不是有效的行政区划代码，请核对是否输错。"),
            code="region_code",
            params={"code": resident.region_code},
        )


def credit_check_character(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class CreditCode:
    """A unified social credit code that may be used, with any warnings about it."""

    code: str
    authority: str
    entity_type: str
    region_code: str
    warnings: tuple[str, ...] = field(default=())


def from_authoritative_source(code: str) -> bool:
    """``on_record`` for a caller that puts the code on record itself from an official source.

    Staff registering a company from its business licence, the system administrator saving a
    department, and an import of licences the government issued all record a code that
    exists; a pilot code from them is accepted.
    """
    return True


def parse_credit_code(value: str, *, on_record: Callable[[str], bool] | None = None) -> CreditCode:
    """Validate a unified social credit code and parse it.

    A code shaped like a Xiamen 2015 pilot code whose check character fails is accepted with a
    warning only when it is listed in ``settings.PILOT_CREDIT_CODES`` or ``on_record(code)``
    says the platform holds it (a registered company, an imported licence holder); any other
    wrong check character is refused, so a typo in a pilot-shaped code is caught. Raises
    ValidationError with a message that says what is wrong.
    """
    code = _clean(value)
    if not code:
        raise ValidationError(_("请填写统一社会信用代码。"), code="required")
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，您输入了%(count)d位。"), code="length", params={"count": len(code)}
        )
    if not _CREDIT_FORMAT.match(code):
        raise ValidationError(_("统一社会信用代码只能包含数字和大写英文字母。"), code="format")
    forbidden = sorted({c for c in code if c in "IOSVZ"})
    if forbidden:
        raise ValidationError(
            _("统一社会信用代码不使用字母 I、O、S、V、Z，但其中出现了 %(letters)s。"),
            code="forbidden_letter",
            params={"letters": "、".join(forbidden)},
        )
    warnings: tuple[str, ...] = ()
    try:
        uscc.validate(code)
    except InvalidChecksum:
        if not _is_known_pilot_code(code, on_record):
            raise ValidationError(
                _("统一社会信用代码校验位不正确（最后一位应为 %(expected)s），请核对是否输错。"),
                code="check_digit",
                params={"expected": credit_check_character(code[:17])},
            ) from None
        warnings = (
            str(_("该代码为厦门2015年试点期间赋码，校验位不符合国家标准但依法有效，已接受；请在营业执照上核对。")),
        )
    except (InvalidFormat, InvalidLength, InvalidComponent):
        raise ValidationError(_("统一社会信用代码格式不正确。"), code="format") from None
    return CreditCode(code=code, authority=code[0], entity_type=code[1], region_code=code[2:8], warnings=warnings)


def _is_known_pilot_code(code: str, on_record: Callable[[str], bool] | None) -> bool:
    if not _XIAMEN_PILOT.match(code):
        return False
    if code in getattr(settings, "PILOT_CREDIT_CODES", ()):
        return True
    return on_record is not None and on_record(code)


def mask_id_number(number: str) -> str:
    """Show an ID number as ``350205********0010``: region and last four only."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str) -> str:
    """Show a person's name as ``陈*丽`` (``李*`` for two characters): recognisable, not readable."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(number: str) -> str:
    """Show a phone number as ``138****5678``."""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_phone(value: str) -> str:
    """Validate a mainland mobile number or a landline with area code; return it normalised."""
    phone = re.sub(r"[\s()（）]", "", value or "")
    phone = phone.removeprefix("+86").removeprefix("0086")
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return phone
    raise ValidationError(
        _("电话号码格式不正确：请填写11位手机号码，或带区号的固定电话（如 0592-1234567）。"), code="phone"
    )
