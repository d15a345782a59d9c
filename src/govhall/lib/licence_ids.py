"""Electronic licence identifiers (证照标识, GB/T 36904; STANDARDS.md §3).

An identifier reads ``1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>``:

- type: the unified social credit code (18) of the body that defines the licence type,
  plus a 3-digit number; the credit code is checked with :func:`parse_credit_code`;
- issuer: the credit code (18) of the issuing body, checked for shape only;
- serial: 1 to 40 characters ``0-9A-Z``;
- version: 3 digits, 001 to 999;
- check: ISO/IEC 7064 MOD 37,36 over type + issuer + serial + version joined without dots.

Errors are Django ``ValidationError`` s whose messages are translated; a wrong check
character is reported without saying which character was expected.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from govhall.lib.identifiers import parse_credit_code

LICENCE_PREFIX = "1.2.156.3005.2."

_ALPHABET = string.digits + string.ascii_uppercase  # values 0-35
_TYPE_CODE = re.compile(r"^[0-9A-Z]{18}\d{3}$")
_ISSUER_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_SERIAL = re.compile(r"^[0-9A-Z]{1,40}$")
_VERSION = re.compile(r"^\d{3}$")
_CHECK = re.compile(r"^[0-9A-Z]$")
# Full-width ASCII (U+FF01-U+FF5E) and the ideographic space and full stop typed by Chinese input methods:
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: ord(" "), 0x3002: ord(".")}


def licence_check_char(body: str) -> str:
    """Return the ISO/IEC 7064 MOD 37,36 check character for ``body`` (characters ``0-9A-Z``).

    ``body`` is type + issuer + serial + version joined without dots. Raises ValueError
    for any other character.
    """
    product = 36
    for char in body:
        value = _ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"{char!r} is not one of 0-9A-Z")
        product = (product + value) % 36 or 36
        product = product * 2 % 37
    return _ALPHABET[(37 - product) % 36]


@dataclass(frozen=True)
class LicenceIdentifier:
    """A licence identifier whose parts and check character are valid."""

    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str

    def __str__(self) -> str:
        return f"{LICENCE_PREFIX}{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}.{self.check}"


def _validate_type_code(type_code: str) -> None:
    # The format first, so that only well-formed codes are kept (anyone may type one in):
    if not _TYPE_CODE.match(type_code):
        raise ValidationError(
            _("证照标识中的证照类型代码格式不正确：应为18位统一社会信用代码加3位数字。"), code="licence_type"
        )
    if not _credit_code_is_valid(type_code[:18]):
        raise ValidationError(
            _("证照标识中的证照类型代码不正确：前18位不是有效的统一社会信用代码。"), code="licence_type"
        )


@functools.lru_cache(maxsize=1024)
def _credit_code_is_valid(code: str) -> bool:
    # A bureau has a few dozen licence types and every identifier of a type repeats its code;
    # checking its credit code each time was two thirds of parsing an identifier (a bulk
    # import of a million historical licences parses a million), so each is checked once:
    try:
        parse_credit_code(code)
    except ValidationError:
        return False
    return True


def _validate_issuer_code(issuer_code: str) -> None:
    if not _ISSUER_CODE.match(issuer_code):
        raise ValidationError(
            _("证照标识中的颁发机构代码格式不正确：应为18位统一社会信用代码（数字和大写字母，不含 I、O、S、V、Z）。"),
            code="licence_issuer",
        )


def _validate_serial(serial: str) -> None:
    if not _SERIAL.match(serial):
        raise ValidationError(
            _("证照标识中的证照流水号格式不正确：应为1至40位数字或大写英文字母。"), code="licence_serial"
        )


def _version_error() -> ValidationError:
    return ValidationError(_("证照标识中的版本号不正确：应为001至999的3位数字。"), code="licence_version")


def make_licence_identifier(type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """Return the identifier ``1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>``.

    The parts are validated as given (no normalisation); raises ValidationError naming
    the part that is wrong.
    """
    _validate_type_code(type_code)
    _validate_issuer_code(issuer_code)
    _validate_serial(serial)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 999:
        raise _version_error()
    body = f"{type_code}{issuer_code}{serial}{version:03d}"
    return f"{LICENCE_PREFIX}{type_code}.{issuer_code}.{serial}.{version:03d}.{licence_check_char(body)}"


def _normalise(text: str) -> str:
    return (text or "").translate(_HALF_WIDTH).strip().upper()


def parse_licence_identifier(text: str) -> LicenceIdentifier:
    """Validate a licence identifier and split it into its parts.

    Surrounding spaces, lower case and full-width characters are accepted. Raises
    ValidationError with a message that says what is wrong: the prefix, the number of
    parts, which part, or the check character (code ``licence_check``).
    """
    identifier = _normalise(text)
    if not identifier:
        raise ValidationError(_("请填写证照标识。"), code="required")
    if not identifier.startswith(LICENCE_PREFIX):
        raise ValidationError(
            _("证照标识应以 %(prefix)s 开头。"), code="licence_prefix", params={"prefix": LICENCE_PREFIX}
        )
    parts = identifier.removeprefix(LICENCE_PREFIX).split(".")
    if len(parts) != 5:
        raise ValidationError(
            _(
                "证照标识在 %(prefix)s 之后应有5段（证照类型代码、颁发机构代码、证照流水号、版本号、校验位），"
                "以“.”分隔，您输入了%(count)d段。"
            ),
            code="licence_parts",
            params={"prefix": LICENCE_PREFIX, "count": len(parts)},
        )
    type_code, issuer_code, serial, version_text, check = parts
    _validate_type_code(type_code)
    _validate_issuer_code(issuer_code)
    _validate_serial(serial)
    if not _VERSION.match(version_text) or version_text == "000":
        raise _version_error()
    if not _CHECK.match(check) or check != licence_check_char(type_code + issuer_code + serial + version_text):
        raise ValidationError(_("证照标识校验位不正确，请核对是否输错。"), code="licence_check")
    return LicenceIdentifier(
        type_code=type_code, issuer_code=issuer_code, serial=serial, version=int(version_text), check=check
    )
