"""Personal identifiers are stored encrypted, found by keyed hash, shown masked, audited when seen."""

from __future__ import annotations

import pytest

from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from govhall.audit.models import AuditRecord
from govhall.identity import actions
from govhall.identity.models import NaturalPerson, User
from govhall.identity.queries import find_applicant_by_account, find_person_by_id_number, is_credit_code_on_record
from govhall.lib.identifiers import parse_credit_code

pytestmark = pytest.mark.django_db


def _raw_row(person: NaturalPerson) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {NaturalPerson._meta.db_table} WHERE id = %s", [person.pk])
        return " ".join(str(value) for value in cursor.fetchone())


def test_it_never_stores_an_id_number_or_phone_in_clear(alice: User) -> None:
    assert alice.person is not None
    row = _raw_row(alice.person)
    assert "350205198503120020" not in row
    assert "13800000001" not in row
    assert alice.person.id_number_masked == "350205********0020"
    assert alice.person.phone_masked == "138****0001"


def test_it_finds_a_person_by_id_number_or_phone(alice: User) -> None:
    assert find_person_by_id_number("350205198503120020") == alice.person
    assert find_applicant_by_account("13800000001") == alice
    assert find_person_by_id_number("350205199001010010") is None
    assert find_person_by_id_number("not a number") is None


def test_it_keys_a_legacy_fifteen_digit_number_to_the_same_person(db: None) -> None:
    person = actions.register_person(name="张三", id_number="350205900101001")
    assert actions.register_person(name="张三", id_number="350205199001010010") == person
    assert NaturalPerson.objects.count() == 1


def test_it_audits_every_full_view_of_an_id_number(alice: User, bob: User) -> None:
    assert alice.person is not None
    before = AuditRecord.objects.filter(event="identity.id_number_viewed").count()
    number = actions.reveal_id_number(alice.person, actor=bob, purpose="受理办件")
    assert number == "350205198503120020"
    entry = AuditRecord.objects.filter(event="identity.id_number_viewed").latest("sequence")
    assert AuditRecord.objects.filter(event="identity.id_number_viewed").count() == before + 1
    assert entry.actor_label == "bob"
    assert entry.target_id == str(alice.person.pk)
    assert entry.extra == {"purpose": "受理办件"}
    assert "350205198503120020" not in str(entry.extra) + entry.target_label


def test_it_rotates_to_a_new_key_and_still_reads_and_finds_everyone(alice: User, settings: object) -> None:
    assert alice.person is not None
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)  # type: ignore[attr-defined]
    old_token = NaturalPerson.objects.get(pk=alice.person.pk).id_number_encrypted
    with override_settings(FIELD_ENCRYPTION_KEYS=["a-brand-new-key-for-2027", *old_keys]):
        assert actions.rotate_personal_data_keys() == 1
        person = NaturalPerson.objects.get(pk=alice.person.pk)
        assert person.id_number_encrypted != old_token
    # Only the new key now: the rotated token still decrypts.
    with override_settings(FIELD_ENCRYPTION_KEYS=["a-brand-new-key-for-2027"]):
        assert actions.reveal_id_number(person, actor=None, purpose="test") == "350205198503120020"
        assert find_person_by_id_number("350205198503120020") == person


def test_it_refuses_a_malformed_id_number_and_creates_nothing(db: None) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.register_person(name="张三", id_number="350205199001010011")
    assert NaturalPerson.objects.count() == 0
    assert not AuditRecord.objects.filter(event="identity.person_created").exists()


def test_it_keeps_the_xiamen_pilot_warning_on_an_entity(db: None) -> None:
    entity = actions.register_entity(name="厦门试点企业", credit_code="91350100M0001TGQXM")
    assert "试点" in entity.credit_code_warning


def test_a_registered_pilot_code_is_on_record_and_its_typo_is_not(db: None) -> None:
    actions.register_entity(name="厦门试点企业", credit_code="91350100M0001TGQXM")
    assert parse_credit_code("91350100M0001TGQXM", on_record=is_credit_code_on_record).warnings
    with pytest.raises(ValidationError):
        parse_credit_code("91350100M0001TGQXN", on_record=is_credit_code_on_record)
