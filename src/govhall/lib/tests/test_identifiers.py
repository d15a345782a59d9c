"""Every vector of STANDARDS.md §4, and what the user is told when a number is wrong."""

from __future__ import annotations

import datetime

import pytest

from django.core.exceptions import ValidationError
from django.utils import translation

from govhall.lib.identifiers import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_phone,
    parse_credit_code,
    parse_resident_id,
)


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "440524188001010014", "350205199001010010", "350205200002290021"]
)
def test_it_accepts_every_valid_resident_id_vector(number: str) -> None:
    assert parse_resident_id(number).number == number


def test_it_reads_birth_date_sex_and_region_from_an_id_number() -> None:
    parsed = parse_resident_id("350205200002290021")
    assert parsed.birth_date == datetime.date(2000, 2, 29)
    assert parsed.region_code == "350205"
    assert parsed.is_male is False


def test_it_accepts_a_lower_case_x_and_full_width_digits() -> None:
    assert parse_resident_id("11010519491231002x").number == "11010519491231002X"
    assert parse_resident_id("３５０２０５１９９００１０１００１０").number == "350205199001010010"


def test_it_refuses_a_wrong_check_digit_and_says_which_is_expected() -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        parse_resident_id("350205199001010011")
    assert error.value.code == "check_digit"
    assert "校验位不正确" in error.value.messages[0]
    assert "0" in error.value.messages[0]


def test_it_refuses_an_impossible_birth_date() -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        parse_resident_id("350205199002300010")
    assert error.value.code == "impossible_birth_date"
    assert "1990-02-30" in error.value.messages[0]


def test_it_refuses_a_birth_date_in_the_future() -> None:
    with pytest.raises(ValidationError) as error:
        parse_resident_id("350205203001010013", today=datetime.date(2026, 11, 25))
    assert error.value.code == "impossible_birth_date"


def test_it_explains_errors_in_english_too() -> None:
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            parse_resident_id("350205199001010011")
        assert "check character of the ID number is wrong" in error.value.messages[0]


@pytest.mark.parametrize("value", ["", "12345", "35020519900101001", "3502051990010100100", "35020519900101001A"])
def test_it_refuses_malformed_id_numbers(value: str) -> None:
    with pytest.raises(ValidationError):
        parse_resident_id(value)


def test_it_accepts_an_unknown_address_code() -> None:
    # Old address codes stay on issued cards; only the check character decides.
    first17 = "99999919900101001"
    from govhall.lib.identifiers import resident_check_character

    assert parse_resident_id(first17 + resident_check_character(first17)).region_code == "999999"


def test_it_accepts_hong_kong_residence_permits() -> None:
    from govhall.lib.identifiers import resident_check_character

    first17 = "81000019900101001"
    assert parse_resident_id(first17 + resident_check_character(first17)).region_code == "810000"


def test_it_upgrades_a_fifteen_digit_legacy_number() -> None:
    parsed = parse_resident_id("350205900101001")
    assert parsed.number == "350205199001010010"
    assert parsed.upgraded_from == "350205900101001"


def test_it_refuses_a_fifteen_digit_number_with_an_impossible_date() -> None:
    with pytest.raises(ValidationError) as error:
        parse_resident_id("350205900230001")
    assert error.value.code == "impossible_birth_date"


@pytest.mark.parametrize(
    "code",
    ["91350200776049653A", "91350203MA31NDF85F", "9135021359498494XQ", "123502001549897397", "11100000000013338W"],
)
def test_it_accepts_every_valid_credit_code_vector(code: str) -> None:
    parsed = parse_credit_code(code)
    assert parsed.code == code
    assert parsed.warnings == ()


def test_it_refuses_a_credit_code_with_a_wrong_check_character() -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        parse_credit_code("91350200776049653B")
    assert error.value.code == "check_digit"
    assert "应为 A" in error.value.messages[0]


def test_it_accepts_a_xiamen_pilot_code_on_record_with_a_warning() -> None:
    with translation.override("zh-hans"):
        parsed = parse_credit_code("91350100M0001TGQXM", on_record=lambda code: code == "91350100M0001TGQXM")
    assert parsed.code == "91350100M0001TGQXM"
    assert len(parsed.warnings) == 1
    assert "厦门2015年试点" in parsed.warnings[0]


def test_it_accepts_a_configured_xiamen_pilot_code(settings: pytest.FixtureRequest) -> None:
    settings.PILOT_CREDIT_CODES = frozenset({"91350100M0001TGQXM"})  # type: ignore[attr-defined]
    assert parse_credit_code("91350100m0001tgqxm").code == "91350100M0001TGQXM"


@pytest.mark.parametrize("language, message", [("zh-hans", "校验位不正确"), ("en", "check character")])
def test_it_refuses_a_pilot_shaped_code_that_is_not_on_record(language: str, message: str) -> None:
    # A typo in the last character of a real pilot code looks just as "pilot" as the code:
    with translation.override(language):
        with pytest.raises(ValidationError) as error:
            parse_credit_code("91350100M0001TGQXN", on_record=lambda code: code == "91350100M0001TGQXM")
        assert message in error.value.messages[0]
    assert error.value.code == "check_digit"


def test_it_refuses_a_pilot_code_when_nothing_says_it_is_on_record() -> None:
    with pytest.raises(ValidationError):
        parse_credit_code("91350100M0001TGQXM")


def test_it_still_refuses_a_bad_check_character_outside_the_pilot_pattern() -> None:
    with pytest.raises(ValidationError):
        parse_credit_code("91350200M0001TGQXA".replace("9135", "9144"), on_record=lambda code: True)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_it_names_the_forbidden_letter_in_a_credit_code(letter: str) -> None:
    code = "91350203MA31NDF85F"[:10] + letter + "1NDF85F"
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        parse_credit_code(code)
    assert error.value.code == "forbidden_letter"
    assert letter in error.value.messages[0]


def test_it_says_how_many_characters_a_short_credit_code_has() -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        parse_credit_code("9135020377604965")
    assert "16" in error.value.messages[0]


def test_it_masks_identifiers_for_display() -> None:
    assert mask_id_number("350205199001010010") == "350205********0010"
    assert mask_phone("13812345678") == "138****5678"


def test_it_accepts_mobile_and_landline_numbers_and_refuses_others() -> None:
    assert normalise_phone("+86 138 1234 5678") == "13812345678"
    assert normalise_phone("0592-1234567") == "0592-1234567"
    with pytest.raises(ValidationError):
        normalise_phone("12345")


@pytest.mark.parametrize(
    ("name", "masked"), [("陈爱丽", "陈*丽"), ("李明", "李*"), ("欧阳娜娜", "欧**娜"), ("王", "王")]
)
def test_a_name_is_masked_keeping_first_and_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked
