"""Every licence identifier vector of STANDARDS.md §3, and what the user is told when one is wrong."""

from __future__ import annotations

import string

import pytest

from django.core.exceptions import ValidationError
from django.utils import translation

from govhall.lib.licence_ids import (
    LicenceIdentifier,
    licence_check_char,
    make_licence_identifier,
    parse_licence_identifier,
)

VALID = [
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
]
FIRST = VALID[0]
FIRST_BODY = "11100000000013338W011" + "11430000006122244L" + "20230000403" + "001"
ALPHABET = string.digits + string.ascii_uppercase


def _refusal(text: str) -> ValidationError:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        parse_licence_identifier(text)
    return error.value


@pytest.mark.parametrize("text", VALID)
def test_it_accepts_every_valid_vector_and_recomputes_its_check_character(text: str) -> None:
    parsed = parse_licence_identifier(text)
    assert str(parsed) == text
    body = parsed.type_code + parsed.issuer_code + parsed.serial + f"{parsed.version:03d}"
    assert licence_check_char(body) == text[-1] == parsed.check
    assert make_licence_identifier(parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == text


def test_it_splits_an_identifier_into_its_parts() -> None:
    assert parse_licence_identifier(VALID[2]) == LicenceIdentifier(
        type_code="11100000000013338W009",
        issuer_code="11330105002500287C",
        serial="2025052201",
        version=2,
        check="0",
    )


def test_it_refuses_the_invalid_vector_without_revealing_the_expected_character() -> None:
    error = _refusal(FIRST[:-1] + "V")
    assert error.code == "licence_check"
    assert "校验位不正确" in error.messages[0]
    assert "U" not in error.messages[0]


def test_make_round_trips_through_parse() -> None:
    text = make_licence_identifier("11100000000013338W123", "91350200776049653A", "HC2025000001", 7)
    assert text.startswith("1.2.156.3005.2.11100000000013338W123.91350200776049653A.HC2025000001.007.")
    parsed = parse_licence_identifier(text)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == (
        "11100000000013338W123",
        "91350200776049653A",
        "HC2025000001",
        7,
    )


@pytest.mark.parametrize(
    "text",
    [
        "  " + FIRST.lower() + "\n",
        FIRST.replace("W", "w").replace("L", "l").replace("U", "u"),
        "\u3000" + FIRST.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789LUW."}) + "\u3000",
    ],
)
def test_it_accepts_lower_case_surrounding_spaces_and_full_width_characters(text: str) -> None:
    assert str(parse_licence_identifier(text)) == FIRST


@pytest.mark.parametrize(
    "text",
    [
        FIRST.replace("1.2.156.3005.2.", "1.2.156.3005.1.", 1),
        FIRST.replace("1.2.156.3005.2.", "2.2.156.3005.2.", 1),
        FIRST.removeprefix("1.2.156.3005.2."),
        "urn:" + FIRST,
    ],
)
def test_it_refuses_a_wrong_prefix(text: str) -> None:
    error = _refusal(text)
    assert error.code == "licence_prefix"
    assert "1.2.156.3005.2." in error.messages[0]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001", 4),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.U", 3),
        ("1.2.156.3005.2.11100000000013338W011", 1),
        (FIRST + ".U", 6),
    ],
)
def test_it_refuses_the_wrong_number_of_parts_and_says_how_many(text: str, count: int) -> None:
    error = _refusal(text)
    assert error.code == "licence_parts"
    assert f"{count}段" in error.messages[0]


@pytest.mark.parametrize(
    ("text", "code", "named"),
    [
        (FIRST.replace("W011.", "W01.", 1), "licence_type", "证照类型代码"),
        (FIRST.replace("11100000000013338W011", "11100000000013338X011", 1), "licence_type", "证照类型代码"),
        (FIRST.replace("6122244L", "6122244O", 1), "licence_issuer", "颁发机构代码"),
        (FIRST.replace(".11430000006122244L.", ".1143000000612224L.", 1), "licence_issuer", "颁发机构代码"),
        (FIRST.replace(".20230000403.", ".2023-0000403.", 1), "licence_serial", "流水号"),
        (FIRST.replace(".20230000403.", "..", 1), "licence_serial", "流水号"),
        (FIRST.replace(".20230000403.", "." + "1" * 41 + ".", 1), "licence_serial", "流水号"),
        (FIRST.replace(".001.", ".000.", 1), "licence_version", "版本号"),
        (FIRST.replace(".001.", ".1000.", 1), "licence_version", "版本号"),
        (FIRST.replace(".001.", ".1.", 1), "licence_version", "版本号"),
        (FIRST[:-1] + "UU", "licence_check", "校验位"),
        (FIRST[:-1] + "-", "licence_check", "校验位"),
    ],
)
def test_it_names_the_part_that_is_wrong(text: str, code: str, named: str) -> None:
    error = _refusal(text)
    assert error.code == code
    assert named in error.messages[0]


@pytest.mark.parametrize(
    ("type_code", "issuer_code", "serial", "version", "code"),
    [
        ("11100000000013338W011", "11430000006122244L", "20230000403", 0, "licence_version"),
        ("11100000000013338W011", "11430000006122244L", "20230000403", 1000, "licence_version"),
        ("11100000000013338W011", "11430000006122244L", "20230000403", True, "licence_version"),
        ("11100000000013338W011", "11430000006122244L", "2023-0000403", 1, "licence_serial"),
        ("11100000000013338W011", "11430000006122244L", "", 1, "licence_serial"),
        ("11100000000013338W011", "11430000006122244I", "20230000403", 1, "licence_issuer"),
        ("11100000000013338X011", "11430000006122244L", "20230000403", 1, "licence_type"),
        ("11100000000013338W0A1", "11430000006122244L", "20230000403", 1, "licence_type"),
    ],
)
def test_make_refuses_a_bad_part(type_code: str, issuer_code: str, serial: str, version: int, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        make_licence_identifier(type_code, issuer_code, serial, version)
    assert error.value.code == code


def test_make_accepts_the_version_bounds() -> None:
    assert ".001." in make_licence_identifier("11100000000013338W011", "11430000006122244L", "1", 1)
    assert ".999." in make_licence_identifier("11100000000013338W011", "11430000006122244L", "1", 999)


def test_every_single_substitution_in_the_body_changes_the_check_character() -> None:
    expected = FIRST[-1]
    assert licence_check_char(FIRST_BODY) == expected
    for position, original in enumerate(FIRST_BODY):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            changed = FIRST_BODY[:position] + replacement + FIRST_BODY[position + 1 :]
            assert licence_check_char(changed) != expected, (position, replacement)


@pytest.mark.parametrize("position", range(len("20230000403")))
def test_a_mistyped_serial_character_is_refused_as_a_wrong_check_character(position: int) -> None:
    serial = "20230000403"
    changed = serial[:position] + ("7" if serial[position] != "7" else "8") + serial[position + 1 :]
    error = _refusal(FIRST.replace(f".{serial}.", f".{changed}.", 1))
    assert error.code == "licence_check"


@pytest.mark.parametrize("check", [c for c in ALPHABET if c != "U"])
def test_every_other_check_character_is_refused(check: str) -> None:
    assert _refusal(FIRST[:-1] + check).code == "licence_check"


def test_check_char_refuses_characters_outside_the_alphabet() -> None:
    with pytest.raises(ValueError):
        licence_check_char("abc")


@pytest.mark.parametrize("text", ["", "   "])
def test_it_asks_for_an_identifier_when_none_is_given(text: str) -> None:
    assert _refusal(text).code == "required"
