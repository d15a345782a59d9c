"""Ten years of synthetic but realistic data for the benchmarks, bulk-loaded with PostgreSQL COPY.

``generate(size)`` fills an empty, migrated database: the demo bureau (units, staff,
personas, catalog, licence types) through the platform's own actions, then — straight into
the tables with COPY — the catalog grown to 300 item versions, 500,000 subjects, 1,000,000
cases with ~3,000,000 events and ~1,000,000 materials, 300,000 licences, and the serial
counters, spread over ten years and the units as a district bureau's would be: most cases
closed, a few thousand open, some of them late.

Personal identifiers are valid (GB 11643 check digit, GB 32100 check character) and
recognisably synthetic: ID numbers use Haicang's address code 350205 with the sequence
codes 900–999, which the bench keeps for itself (demo personas use 002–003); credit codes
carry the organisation code prefix ``MABN``. They are stored exactly as identity stores
them: encrypted, with the keyed look-up hash and the masked copy.
"""

from __future__ import annotations

import bisect
import datetime
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

SURNAMES = "陈林黄张李王吴刘蔡杨郑许谢洪郭邱曾廖赖周叶苏庄江吕何卢施柯颜"
GIVEN = "建国明华志伟秀英丽芳敏静强军平德文海燕玲红霞婷杰涛斌超辉鹏宇浩俊峰晨欣怡佳慧嘉雅丹琳淑兰凤玉梅春秋"
PLACES = ["东孚镇", "海沧街道", "新阳街道", "嵩屿街道", "石塘社区", "过坂村", "鼎美村", "洪塘村", "天竺山", "后井村"]
COMPANY_WORDS = ["绿源", "清泉", "海鑫", "青山", "禾丰", "嘉禾", "鹭岛", "兴农", "金穗", "碧水", "丰源", "海丰"]
COMPANY_KINDS = ["农业发展有限公司", "林业专业合作社", "水产养殖有限公司", "食品有限公司", "生态科技有限公司"]
VARIANTS = ["（新办）", "（变更）", "（延续）", "（注销）", "（补办）", "（迁移）", "（扩建）"]
ID_SEQUENCE_FIRST = 900  # the bench's sequence codes: 900–999 (recognisably synthetic)


@dataclass(frozen=True)
class Size:
    name: str
    cases: int
    persons: int
    entities: int
    accounts: int
    licences: int
    items: int  # service items; each gets three versions
    open_cases: int
    import_rows: int  # rows of the bulk-import figure
    heavy_subjects: int  # subjects with ~200 records each (the dossier figure)
    complaints: int = 0  # complaints over the ten years (ratings come from closed cases)


SIZES = {
    "full": Size("full", 1_000_000, 450_000, 50_000, 300_000, 300_000, 100, 4_000, 1_000_000, 50, 20_000),
    "smoke": Size("smoke", 1_000, 450, 50, 300, 300, 20, 40, 1_000, 2, 20),
}


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# Identifiers ---------------------------------------------------------------------------------


def synthetic_id_number(i: int) -> str:
    """The i-th synthetic resident ID number: 350205, a birth date 1950–2004, a sequence of 900–999."""
    from govhall.lib.identifiers import resident_check_character

    days = 20_000
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=i % days)
    first17 = f"350205{birth:%Y%m%d}{ID_SEQUENCE_FIRST + i // days:03d}"
    return first17 + resident_check_character(first17)


_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def synthetic_credit_code(i: int, kind: str = "91") -> str:
    """The i-th synthetic unified social credit code: organisation code prefix MABN, valid check character."""
    from govhall.lib.identifiers import credit_check_character

    digits = ""
    n = i
    for _ in range(5):
        n, r = divmod(n, 31)
        digits = _CREDIT_ALPHABET[r] + digits
    first17 = f"{kind}350205MABN{digits}"
    return first17 + credit_check_character(first17)


def synthetic_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


# COPY helpers --------------------------------------------------------------------------------


def columns_of(model: type[Model], given: Sequence[str]) -> tuple[list[str], list[Any]]:
    """The model's columns: those ``given`` first, then every other one with its Python default.

    So that a column another change adds (with a default) does not break the generator.
    """
    rest: list[str] = []
    defaults: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.column in given or (f.primary_key and "id" not in given):
            continue
        rest.append(f.column)
        value = f.get_default()
        if isinstance(value, dict | list):
            value = json.dumps(value)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
        defaults.append(value)
    return [*given, *rest], defaults


def copy_rows(model: type[Model], given: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` (values of ``given`` columns, in order) into the model's table; return the count.

    The table's indexes that back no constraint are dropped first and built again after the
    load, as PostgreSQL advises for populating a database: building an index once over a
    million sorted rows is several times cheaper than inserting each row into it (the
    cases' 13 indexes took most of the cases' COPY). Primary keys, unique indexes and foreign
    keys stay, so that a bad row still fails the load; and all of it is one transaction, so a
    load that fails leaves the table as it was, indexes included.
    """
    columns, defaults = columns_of(model, given)
    tail = tuple(defaults)
    quoted = ", ".join(f'"{c}"' for c in columns)
    table = model._meta.db_table
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are deferred to the commit; checked row by row instead, so that
        # no check is still pending when the indexes are built (PostgreSQL refuses that):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = %s::regclass AND NOT indisunique"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = pg_index.indexrelid)",
            [f'"{table}"'],
        )
        deferred = cursor.fetchall()
        for name, _definition in deferred:
            cursor.execute(f"DROP INDEX {name}")
        with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row((*row, *tail))
                count += 1
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in deferred:
            cursor.execute(definition)
    return count


def reset_sequence(model: type[Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1)) FROM \"{table}\""
        )


def next_id(model: type[Model]) -> int:
    return int(model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


# The calendar --------------------------------------------------------------------------------


class Workdays:
    """Working days as a sorted list, so that "n working days after" is an index step."""

    def __init__(self, start: datetime.date, end: datetime.date) -> None:
        from govhall.holidays.queries import get_calendar

        calendar = get_calendar()
        days = []
        day = start
        while day <= end:
            if calendar.exceptions.get(day, day.weekday() < 5):
                days.append(day)
            day += datetime.timedelta(days=1)
        self.days = days

    def on_or_after(self, day: datetime.date) -> int:
        return bisect.bisect_left(self.days, day)

    def add(self, day: datetime.date, n: int) -> datetime.date:
        """``n`` working days after ``day`` (not counting ``day``), as lib.workdays counts."""
        index = bisect.bisect_right(self.days, day) - 1 + n
        return self.days[min(index, len(self.days) - 1)]


# Steps ---------------------------------------------------------------------------------------


def load_reference_data() -> None:
    """The demo bureau, personas, catalog and licence types, through the platform's actions; holidays 2016–2024."""
    from govhall.catalog.demo import load_catalog_demo
    from govhall.holidays.actions import days_from_chinese_calendar, load_year
    from govhall.holidays.models import CalendarYear
    from govhall.identity.demo import load_demo
    from govhall.identity.models import User
    from govhall.licences.demo import load_licence_demo

    with transaction.atomic():
        for year in range(2016, 2025):
            if not CalendarYear.objects.filter(year=year).exists():
                load_year(year, source="chinese-calendar (bench)", days=days_from_chinese_calendar(year), actor="bench")
    load_demo()
    load_catalog_demo(editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace"))
    load_licence_demo()


def grow_catalog(size: Size) -> None:
    """Grow the demo catalog to ``size.items`` items of three versions each (two superseded, one live)."""
    from govhall.catalog.constants import VersionState
    from govhall.catalog.models import ItemVersion, Material, ServiceItem, copy_children
    from govhall.catalog.search import build_search_text

    templates = list(ItemVersion.objects.filter(state=VersionState.PUBLISHED).select_related("item").order_by("pk"))
    effective = [datetime.date(2016, 12, 1), datetime.date(2020, 1, 1), datetime.date(2023, 7, 1)]
    with transaction.atomic():
        items: list[tuple[ServiceItem, ItemVersion, str]] = [(t.item, t, t.name) for t in templates]
        k = 0
        while len(items) < size.items:
            template = templates[k % len(templates)]
            variant = VARIANTS[(k // len(templates)) % len(VARIANTS)]
            code = template.item.implementation_code[:-3] + f"{101 + k:03d}"
            item = ServiceItem.objects.create(
                basic_code=template.item.basic_code,
                implementation_code=code,
                handling_code=template.item.handling_code,
                department=template.item.department,
            )
            items.append((item, template, template.name + variant))
            k += 1
        for item, template, name in items:
            existing = {v.number: v for v in item.versions.all()}
            for number in (1, 2, 3):
                state = VersionState.PUBLISHED if number == 3 else VersionState.SUPERSEDED
                version = existing.get(number)
                if version is None:
                    version = ItemVersion.objects.get(pk=template.pk)
                    version.pk = None
                    version.public_id = uuid.uuid4()
                    version.item = item
                    version.number = number
                    version.name = name
                    version.state = state
                    version.effective_from = effective[number - 1]
                    version.created_by = "bench"
                    version.save()
                    copy_children(template, version)
                else:
                    version.state = state
                    version.effective_from = effective[number - 1]
                    version.save(update_fields=["state", "effective_from"])
                version.search_text = build_search_text(version)
                version.save(update_fields=["search_text"])
        # The item the submit figure applies to: one upload and one licence the farmer holds.
        live = submit_target()
        materials = list(Material.objects.filter(version=live).order_by("order", "pk"))
        keep = [m for m in materials if m.licence_type_code.endswith("W003")][:1] + [
            m for m in materials if not m.licence_type_code
        ][:1]
        Material.objects.filter(version=live).exclude(pk__in=[m.pk for m in keep]).delete()
        Material.objects.filter(pk__in=[m.pk for m in keep]).update(need="1")


def submit_target() -> Any:
    """The live version the submit figure applies to (see grow_catalog)."""
    from govhall.catalog.models import ItemVersion

    return (
        ItemVersion.objects.filter(created_by="bench", name__startswith="林木采伐许可证核发（", number=3)
        .select_related("item")
        .order_by("pk")
        .first()
    )


def make_subjects(size: Size, rng: random.Random) -> tuple[list[tuple[int, str, str, str]], list[tuple[int, str, str]]]:
    """Persons and entities by COPY; return (id, name, id hash, masked) of persons and (id, name, code) of entities."""
    from govhall.identity.models import NaturalPerson
    from govhall.identity.queries import ID_NUMBER
    from govhall.lib.crypto import encrypt_text, lookup_hash
    from govhall.lib.identifiers import mask_id_number

    started = time.monotonic()
    first = next_id(NaturalPerson)
    persons: list[tuple[int, str, str, str]] = []
    now = timezone.now()

    def person_rows() -> Iterable[Sequence[Any]]:
        for i in range(size.persons):
            number = synthetic_id_number(i)
            name = synthetic_name(rng)
            id_hash = lookup_hash(number, purpose=ID_NUMBER)
            masked = mask_id_number(number)
            persons.append((first + i, name, id_hash, masked))
            yield (first + i, uuid.uuid4(), name, encrypt_text(number), id_hash, masked, "", "", "", now)

    copy_rows(
        NaturalPerson,
        [
            "id",
            "public_id",
            "name",
            "id_number_encrypted",
            "id_number_hash",
            "id_number_masked",
            "phone_encrypted",
            "phone_hash",
            "phone_masked",
            "created_at",
        ],
        person_rows(),
    )
    reset_sequence(NaturalPerson)
    say(f"  {size.persons:,} natural persons in {time.monotonic() - started:.1f} s")
    from govhall.identity.models import LegalEntity

    first_entity = next_id(LegalEntity)
    entities: list[tuple[int, str, str]] = []

    def entity_rows() -> Iterable[Sequence[Any]]:
        for i in range(size.entities):
            kind = "93" if i % 5 == 1 else "91"
            code = synthetic_credit_code(i, kind)
            name = f"厦门市海沧区{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS)}{COMPANY_KINDS[i % len(COMPANY_KINDS)]}"
            name = name if i < 1000 else f"{name}{i}号"
            entities.append((first_entity + i, name, code))
            entity_kind = "cooperative" if kind == "93" else "enterprise"
            yield (
                first_entity + i,
                uuid.uuid4(),
                name,
                code,
                "",
                entity_kind,
                synthetic_name(rng),
                rng.choice(PLACES),
                now,
            )

    copy_rows(
        LegalEntity,
        [
            "id",
            "public_id",
            "name",
            "credit_code",
            "credit_code_warning",
            "kind",
            "legal_representative",
            "address",
            "created_at",
        ],
        entity_rows(),
    )
    reset_sequence(LegalEntity)
    say(f"  {size.entities:,} legal entities, {time.monotonic() - started:.1f} s so far")
    return persons, entities


def make_accounts(size: Size, persons: list[Any], entities: list[Any]) -> tuple[list[int], dict[int, int]]:
    """Applicant accounts for the first ``size.accounts`` persons, and one authorised agent per entity."""
    from govhall.identity.models import EntityAuthorisation, User

    first = next_id(User)
    now = timezone.now()
    users: list[int] = []

    def user_rows() -> Iterable[Sequence[Any]]:
        for i in range(size.accounts):
            person_id, name = persons[i][0], persons[i][1]
            users.append(first + i)
            public_id = uuid.uuid4()
            # "!" is Django's unusable password: these accounts exist, nobody logs in as them.
            yield (first + i, f"applicant-{public_id.hex[:16]}", "!", public_id, "applicant", name, person_id, now)

    copy_rows(
        User, ["id", "username", "password", "public_id", "kind", "full_name", "person_id", "date_joined"], user_rows()
    )
    reset_sequence(User)
    agent_of: dict[int, int] = {}

    def authorisation_rows() -> Iterable[Sequence[Any]]:
        for i, (entity_id, _name, _code) in enumerate(entities):
            user_id = users[(i * 7) % len(users)]
            agent_of[entity_id] = user_id
            yield (user_id, entity_id, "legal_representative" if i % 3 == 0 else "agent", now, True)

    copy_rows(EntityAuthorisation, ["user_id", "entity_id", "role", "granted_at", "is_active"], authorisation_rows())
    return users, agent_of


@dataclass
class VersionFacts:
    id: int
    department_id: int
    code: str
    name: str
    committed: int
    statutory: int
    number: int
    licence_type: str
    material_ids: list[int]
    licence_material: int | None
    first_step: int | None
    form_keys: list[str]


def version_facts() -> dict[str, list[VersionFacts]]:
    """Every version of every item, by implementation code, oldest first."""
    from govhall.catalog.models import ItemVersion

    facts: dict[str, list[VersionFacts]] = {}
    versions = ItemVersion.objects.select_related("item").prefetch_related("materials", "steps").order_by("number")
    for v in versions:
        materials = list(v.materials.all())
        steps = sorted(v.steps.all(), key=lambda s: s.order)
        facts.setdefault(v.item.implementation_code, []).append(
            VersionFacts(
                id=v.pk,
                department_id=v.handling_department_id or v.item.department_id,
                code=v.item.implementation_code,
                name=v.name,
                committed=v.committed_limit,
                statutory=v.statutory_limit,
                number=v.number,
                licence_type=v.result_licence_type_code,
                material_ids=[m.pk for m in materials if not m.licence_type_code],
                licence_material=next((m.pk for m in materials if m.licence_type_code), None),
                first_step=steps[1].order if len(steps) > 1 else (steps[0].order if steps else None),
                form_keys=list((v.form_schema or {}).get("properties", {}))[:4],
            )
        )
    return facts


OPEN_MIX = [("in_progress", 60), ("submitted", 15), ("correction_requested", 12), ("countersigning", 8)]
OPEN_MIX += [("special_procedure", 5)]


def _weighted(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([m for m, _w in mix], [w for _m, w in mix])[0]


def make_cases(
    size: Size,
    rng: random.Random,
    persons: list[Any],
    entities: list[Any],
    users: list[int],
    agent_of: dict[int, int],
) -> list[tuple[Any, ...]]:
    """Cases, events, materials, countersigns and serials by COPY. Returns the approved cases that issue a licence."""
    from govhall.cases.models import Case, CaseEvent, CaseMaterial, CaseSerial, Countersign
    from govhall.identity.models import Department

    started = time.monotonic()
    today = timezone.localdate()
    start = today.replace(year=today.year - 10)
    workdays = Workdays(start - datetime.timedelta(days=10), today + datetime.timedelta(days=400))
    facts = version_facts()
    codes = sorted(facts)
    # Some items are far busier than others (felling and water permits, subsidies):
    weights = [1.0 / (1 + (i % 17)) for i in range(len(codes))]
    units = list(Department.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    bob = (
        Department.objects.filter(code="forestry").values_list("pk", flat=True).first() or units[0]
    )  # the clerk's unit
    tz = timezone.get_current_timezone()
    first = next_id(Case)
    span_days = (today - start).days
    heavy = max(size.heavy_subjects, 1)
    open_ids = set(range(size.cases - int(size.open_cases * 0.9), size.cases))
    # A tenth of the open cases are older, and most of those are late:
    open_ids |= {
        size.cases - size.open_cases - rng.randrange(size.open_cases * 10) - 1 for _ in range(size.open_cases // 10)
    }
    drafts = set(range(size.cases - size.open_cases - 1, size.cases - size.open_cases - 1 - size.open_cases // 2, -1))
    serials: dict[tuple[str, datetime.date], int] = {}
    issued: list[tuple[Any, ...]] = []
    case_rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    materials: list[tuple[Any, ...]] = []
    countersigns: list[tuple[Any, ...]] = []
    now = timezone.now()

    def at(day: datetime.date, hour: int | None = None) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour or rng.randrange(8, 18), rng.randrange(60)), tz)

    for n in range(size.cases):
        case_id = first + n
        # Busier later: the bureau's case load grows over the decade.
        u = (n + rng.random()) / size.cases
        submitted_day = start + datetime.timedelta(days=int(span_days * (u**0.85)))
        if n in open_ids and n < size.cases - int(size.open_cases * 0.9):
            submitted_day = today - datetime.timedelta(days=rng.randrange(20, 90))
        code = rng.choices(codes, weights)[0]
        versions = facts[code]
        version = (
            versions[0]
            if submitted_day < datetime.date(2020, 1, 1)
            else versions[1 if submitted_day < datetime.date(2023, 7, 1) else 2]
        )
        if rng.random() < 0.15:
            entity_id, entity_name, _code = entities[rng.randrange(len(entities))]
            applicant, person_id, name = agent_of[entity_id], None, entity_name
        else:
            index = (n % heavy) if rng.random() < 0.01 else rng.randrange(len(users))
            applicant, person_id, name, entity_id = users[index], persons[index][0], persons[index][1], None
        public_id = uuid.uuid4()
        form = {key: f"{rng.choice(PLACES)}" for key in version.form_keys}
        submitted_at = at(submitted_day)
        status, decision = "closed", ""
        accepted_on = due_on = statutory_due = paused_on = None
        closed_at = None
        step = None
        reference: str | None = None
        if n in drafts:
            status = "draft"
        else:
            key = (code, submitted_day)
            serials[key] = serials.get(key, 0) + 1
            reference = f"{code}{submitted_day:%Y%m%d}{serials[key]:04d}"
        case_events: list[tuple[str, str, str, datetime.datetime, str]] = []
        if status != "draft":
            case_events.append(("submitted", "draft", "submitted", submitted_at, ""))
            if n in open_ids:
                status = _weighted(rng, OPEN_MIX)
            else:
                roll = rng.random()
                status = "not_accepted" if roll < 0.02 else "withdrawn" if roll < 0.05 else "closed"
            if status not in {"submitted", "not_accepted"}:
                accepted_on = workdays.days[workdays.on_or_after(submitted_day + datetime.timedelta(days=1))]
                due_on = workdays.add(accepted_on, version.committed)
                statutory_due = workdays.add(accepted_on, version.statutory)
                case_events.append(("accepted", "submitted", "in_progress", at(accepted_on), ""))
                step = version.first_step
            if status == "not_accepted":
                case_events.append(("not_accepted", "submitted", "not_accepted", at(submitted_day, 17), "材料不齐"))
            elif status == "withdrawn":
                case_events.append(("withdrawn", "in_progress", "withdrawn", at(submitted_day, 17), "申请人撤回"))
                closed_at = None
            elif status == "closed":
                assert accepted_on is not None and due_on is not None
                # Most finish early; one in thirty after its committed date:
                used = max(0, int(version.committed * rng.uniform(0.2, 0.95)))
                if rng.random() < 0.033:
                    used = version.committed + rng.randrange(1, 6)
                decided_on = workdays.add(accepted_on, used)
                decision = "deny" if rng.random() < 0.03 else "approve"
                to = "approved" if decision == "approve" else "denied"
                closed_at = at(decided_on, 17)
                if n % 4 == 0:
                    case_events.append(("decided", "in_progress", to, at(decided_on, 16), "经审查，符合法定条件"))
                case_events.append(("closed", to, "closed", closed_at, ""))
                step = None
                if decision == "approve" and version.licence_type:
                    issued.append((public_id, reference, version.licence_type, person_id, entity_id, name, decided_on))
                if rng.random() < 0.03:
                    other = rng.choice([u for u in units if u != version.department_id])
                    countersigns.append((case_id, other, at(accepted_on), True, "同意", closed_at))
            elif status in {"correction_requested", "special_procedure"}:
                paused_on = today - datetime.timedelta(days=rng.randrange(1, 10))
                case_events.append((status, "in_progress", status, at(paused_on), ""))
            elif status == "countersigning":
                # Open requests to other units, the clerk's forestry unit among them now and then:
                asked = bob if version.department_id != bob and rng.random() < 0.5 else None
                asked = asked or rng.choice([u for u in units if u != version.department_id])
                countersigns.append((case_id, asked, at(today - datetime.timedelta(days=2)), None, "", None))
                case_events.append(("countersign_requested", "in_progress", "countersigning", at(today), ""))
        updated_at = closed_at or now
        case_rows.append(
            (
                case_id,
                public_id,
                reference,
                version.id,
                version.department_id,
                applicant,
                person_id,
                entity_id,
                name,
                status,
                json.dumps(form, ensure_ascii=False),
                step,
                "",
                None if status == "draft" else submitted_at,
                accepted_on,
                due_on,
                statutory_due,
                paused_on,
                decision,
                closed_at,
                submitted_at,
                updated_at,
            )
        )
        for kind, frm, to, when, opinion in case_events:
            events.append((case_id, kind, frm, to, when, opinion, "applicant" if kind == "submitted" else "bob"))
        if status != "draft":
            if version.licence_material and rng.random() < 0.15:
                materials.append((case_id, version.licence_material, "", "licence", 0, submitted_at))
            elif version.material_ids:
                materials.append(
                    (
                        case_id,
                        version.material_ids[0],
                        f"cases/{public_id}/{uuid.uuid4().hex}.pdf",
                        "application/pdf",
                        180_000 + rng.randrange(60_000),
                        submitted_at,
                    )
                )
    say(f"  {size.cases:,} cases computed in {time.monotonic() - started:.1f} s")
    copy_rows(
        Case,
        [
            "id",
            "public_id",
            "reference",
            "item_version_id",
            "department_id",
            "applicant_id",
            "person_id",
            "entity_id",
            "applicant_name",
            "status",
            "form_data",
            "step_order",
            "submit_key",
            "submitted_at",
            "accepted_on",
            "due_on",
            "statutory_due_on",
            "paused_on",
            "decision",
            "closed_at",
            "created_at",
            "updated_at",
        ],
        case_rows,
    )
    reset_sequence(Case)
    say(f"  cases copied, {time.monotonic() - started:.1f} s")
    copy_rows(
        CaseEvent,
        ["case_id", "kind", "from_status", "to_status", "created_at", "opinion", "actor_label"],
        events,
    )
    say(f"  {len(events):,} case events copied, {time.monotonic() - started:.1f} s")
    copy_rows(
        CaseMaterial,
        [
            "case_id",
            "material_id",
            "file",
            "content_type",
            "size",
            "uploaded_at",
            "public_id",
            "original_name",
            "sha256",
        ],
        ((*m, uuid.uuid4(), "材料.pdf" if m[3] != "licence" else "林权证", "0" * 64) for m in materials),
    )
    say(f"  {len(materials):,} case materials copied, {time.monotonic() - started:.1f} s")
    copy_rows(
        Countersign,
        ["case_id", "department_id", "requested_at", "agrees", "opinion", "answered_at"],
        countersigns,
    )
    copy_rows(CaseSerial, ["implementation_code", "day", "last"], ((c, d, v) for (c, d), v in serials.items()))
    say(
        f"  {len(countersigns):,} countersigns and {len(serials):,} serial counters, {time.monotonic() - started:.1f} s"
    )
    return issued


def make_licences(size: Size, rng: random.Random, issued: list[Any], persons: list[Any], entities: list[Any]) -> None:
    """Licences: those approved cases issued, then historical ones (business licences, forest rights) up to the size."""
    from govhall.lib.licence_ids import make_licence_identifier
    from govhall.licences.actions import reserve_status_indexes
    from govhall.licences.models import Licence, LicenceType

    started = time.monotonic()
    today = timezone.localdate()
    types = {t.code: t for t in LicenceType.objects.all()}
    by_holder = {p[0]: p for p in persons}
    by_entity = {e[0]: e for e in entities}
    national = [t for t in types.values() if not t.issued_here and t.code.endswith(("001", "003"))]
    count = size.licences
    with transaction.atomic():
        first_index = reserve_status_indexes(count)

    def rows() -> Iterable[Sequence[Any]]:
        for i in range(count):
            index = first_index + i
            if i < len(issued) and i < count * 0.7:
                public_id, reference, type_code, person_id, entity_id, name, day = issued[i]
                licence_type = types[type_code]
                issuer_name, issuer_code = licence_type.issuer_name, licence_type.issuer_code
                imported, case_public_id = False, public_id
            else:
                licence_type = national[i % len(national)]
                issuer_name, issuer_code = "厦门市海沧区市场监督管理局", "11350205MB0D200018"
                day = today - datetime.timedelta(days=rng.randrange(3650))
                imported, case_public_id, reference = True, None, ""
                if licence_type.code.endswith("001") and entities:
                    entity_id, name, _code = entities[i % len(entities)]
                    person_id = None
                else:
                    person_id, name = persons[i % len(persons)][0], persons[i % len(persons)][1]
                    entity_id = None
            serial = f"{day:%Y}{index + 1:08d}"
            if entity_id is not None:
                code = by_entity[entity_id][2]
                holder = (name, "001", code, code)
            else:
                p = by_holder[person_id]
                holder = (p[1], "111", p[2], p[3])
            years = licence_type.validity_years
            # 29 February plus whole years is 28 February (as licences.actions counts):
            end = day.replace(year=day.year + years, day=min(day.day, 28) if day.month == 2 else day.day)
            valid_until = end - datetime.timedelta(days=1) if years else None
            status = "01"
            if valid_until and valid_until < today:
                status = "05"
            elif rng.random() < 0.01:
                status = "03"
            yield (
                uuid.uuid4(),
                make_licence_identifier(licence_type.code, issuer_code, serial, 1),
                licence_type.pk,
                f"{licence_type.layout.get('number_prefix', '')}{serial}",
                serial,
                1,
                issuer_name,
                issuer_code,
                day,
                day,
                valid_until,
                *holder,
                "{}",
                status,
                index,
                case_public_id,
                reference or "",
                imported,
            )

    written = copy_rows(
        Licence,
        [
            "public_id",
            "identifier",
            "licence_type_id",
            "number",
            "serial",
            "version",
            "issuer_name",
            "issuer_code",
            "issued_on",
            "valid_from",
            "valid_until",
            "holder_name",
            "holder_code_type",
            "holder_key",
            "holder_masked",
            "face",
            "status",
            "status_index",
            "case_public_id",
            "case_reference",
            "imported",
        ],
        rows(),
    )
    say(f"  {written:,} licences copied in {time.monotonic() - started:.1f} s")


def insert_select(model: type[Model], given: dict[str, str], source: str) -> int:
    """INSERT INTO the model's table SELECT ``given`` (column: SQL expression) ``source``; return the count.

    Every other column takes its Python default (``columns_of``), so that a column another
    change adds does not break the generator. The expressions must not contain parameters.
    """
    columns, defaults = columns_of(model, list(given))
    types = {f.column: f.db_type(connection) for f in model._meta.concrete_fields}
    # (A parameter in a SELECT list is text unless cast: a JSON default must be cast to jsonb.)
    escaped = [expression.replace("%", "%%") for expression in given.values()]  # (% is modulo in them)
    expressions = [*escaped, *[f"%s::{types[c]}" for c in columns[len(given) :]]]
    quoted = ", ".join(f'"{c}"' for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{model._meta.db_table}" ({quoted}) SELECT {", ".join(expressions)} {source.replace("%", "%%")}',
            defaults,
        )
        return int(cursor.rowcount)


def make_feedback(size: Size) -> dict[str, int]:
    """Ratings of 60 % of the closed cases, a rectification of each bad one, complaints and supervision orders.

    Set-based (INSERT … SELECT over the cases), in the proportions of a county platform:
    most ratings 非常满意 or 满意, about 3 % bad; the orders are the late cases' (one in 200).
    """
    from govhall.cases.models import Case
    from govhall.complaints.models import Complaint, SupervisionOrder
    from govhall.ratings.models import Rating, Rectification

    cases = f"FROM \"{Case._meta.db_table}\" c WHERE c.status = 'closed' AND c.closed_at IS NOT NULL"
    ratings = insert_select(
        Rating,
        {
            "public_id": "gen_random_uuid()",
            "service_kind": "'case'",
            "case_id": "c.id",
            "department_id": "c.department_id",
            "channel": "CASE WHEN c.id % 4 = 0 THEN 'sms' ELSE 'online' END",
            "level": "CASE WHEN c.id % 100 < 70 THEN 'very_satisfied' WHEN c.id % 100 < 90 THEN 'satisfied'"
            " WHEN c.id % 100 < 97 THEN 'basic' WHEN c.id % 100 < 99 THEN 'dissatisfied'"
            " ELSE 'very_dissatisfied' END",
            "rater_id": "c.applicant_id",
            "is_default": "c.id % 50 = 1",
            "rated_at": "c.closed_at + interval '3 hours'",
        },
        cases + " AND c.id % 5 < 3",
    )
    rectifications = insert_select(
        Rectification,
        {
            "public_id": "gen_random_uuid()",
            "rating_id": "r.id",
            "department_id": "r.department_id",
            "status": "'closed'",
            "classify_due_on": "(r.rated_at + interval '1 day')::date",
            "rectify_due_on": "(r.rated_at + interval '7 days')::date",
            "follow_up_at": "r.rated_at + interval '3 days'",
            "created_at": "r.rated_at",
            "closed_at": "r.rated_at + CASE WHEN r.id % 7 = 0 THEN interval '10 days' ELSE interval '5 days' END",
        },
        f"FROM \"{Rating._meta.db_table}\" r WHERE r.level IN ('dissatisfied', 'very_dissatisfied')",
    )
    kinds = "(ARRAY['inaction','misconduct','slowness','attitude','other','consultation'])[1 + g % 6]"
    complaints = insert_select(
        Complaint,
        {
            "public_id": "gen_random_uuid()",
            "tracking_number": "'TSB' || lpad(g::text, 9, '0')",
            "query_code_hash": "md5(g::text)",
            "channel": "(ARRAY['portal','workspace','hall','hotline_12345'])[1 + g % 4]",
            "kind": kinds,
            "status": "'closed'",
            "title": "'办理进度咨询与投诉'",
            "content": "'反映事项办理中的问题，请核实处理。'",
            "department_id": "(SELECT array_agg(id ORDER BY id) FROM identity_department"
            " WHERE parent_id IS NOT NULL)[1 + g % 3]",
            "submitted_at": "now() - (g % 3650) * interval '1 day'",
            "accepted_on": "(now() - (g % 3650) * interval '1 day')::date",
            "due_on": "(now() - (g % 3650) * interval '1 day' + interval '14 days')::date",
            "answered_at": "now() - (g % 3650) * interval '1 day' + (g % 17) * interval '1 day'",
            "closed_at": "now() - (g % 3650) * interval '1 day' + (g % 17 + 2) * interval '1 day'",
        },
        f"FROM generate_series(1, {size.complaints}) g",
    )
    orders = insert_select(
        SupervisionOrder,
        {
            "public_id": "gen_random_uuid()",
            "number": "'DBB' || lpad(c.id::text, 9, '0')",
            "object_kind": "'case'",
            "object_id": "c.public_id",
            "case_id": "c.id",
            "department_id": "c.department_id",
            "level": "CASE WHEN c.id % 3 = 0 THEN 'red' ELSE 'yellow' END",
            "source": "'late_case'",
            "reason": "'办件超过承诺时限'",
            "status": "'closed'",
            "reply_due_on": "(c.closed_at - interval '2 days')::date",
            "raised_at": "c.closed_at - interval '5 days'",
            "replied_at": "c.closed_at - CASE WHEN c.id % 4 = 0 THEN interval '1 day' ELSE interval '3 days' END",
        },
        cases + " AND c.id % 200 = 7",
    )
    return {"ratings": ratings, "rectifications": rectifications, "complaints": complaints, "orders": orders}


def prepare_staff() -> None:
    """A confirmed TOTP device for the regular clerk (bob), whose verified session the bench creates."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from govhall.identity.models import User

    bob = User.objects.get(username="bob")
    TOTPDevice.objects.get_or_create(user=bob, name="bench", defaults={"confirmed": True})


def _publish_status_lists() -> None:
    from govhall.licences.actions import publish_status_lists

    with transaction.atomic():
        publish_status_lists()


def generate(size_name: str, *, seed: int = 2026, log: Callable[[str], None] = say) -> dict[str, float]:
    """Fill the (migrated, empty) database of the current settings; return the seconds of each step."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the benchmark data generator needs PostgreSQL (COPY)")
    size = SIZES[size_name]
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    total = time.monotonic()

    def step(name: str, fn: Callable[[], Any]) -> Any:
        started = time.monotonic()
        log(f"{name} …")
        result = fn()
        timings[name] = round(time.monotonic() - started, 1)
        log(f"{name}: {timings[name]} s")
        return result

    step("reference data (demo bureau, catalog, licence types, holidays)", load_reference_data)
    step("catalog to 3 versions per item", lambda: grow_catalog(size))
    step("staff second factor", prepare_staff)
    persons, entities = step("subjects", lambda: make_subjects(size, rng))
    users, agent_of = step("accounts", lambda: make_accounts(size, persons, entities))
    issued = step("cases", lambda: make_cases(size, rng, persons, entities, users, agent_of))
    step("licences", lambda: make_licences(size, rng, issued, persons, entities))
    step("ratings, rectifications, complaints, supervision orders", lambda: make_feedback(size))
    step("status lists", _publish_status_lists)
    step("analyze", lambda: connection.cursor().execute("ANALYZE"))
    timings["total"] = round(time.monotonic() - total, 1)
    log(f"generated size {size_name} in {timings['total']} s (limit for full: 600 s)")
    settings_note = settings.DATABASES["default"]["NAME"]
    log(f"database: {settings_note}")
    return timings
