"""Demo licence types (those the demo catalog refers to) and a few historical licences (idempotent)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from govhall.identity.models import LegalEntity, NaturalPerson
from govhall.lib.licence_ids import make_licence_identifier
from govhall.licences.actions import publish_status_lists_after_commit, reserve_status_indexes
from govhall.licences.constants import HolderCodeType
from govhall.licences.models import Licence, LicenceType

NATIONAL = "11100000000013338W"  # the defining body of national licence types in STANDARDS §3


def _schema(**fields: str) -> dict[str, Any]:
    return {"type": "object", "properties": {k: {"type": "string", "title": v} for k, v in fields.items()}}


FELLING_FACE = {
    "type": "object",
    "properties": {
        "felling_location": {"type": "string", "title": "采伐地点"},
        "tree_species": {"type": "string", "title": "树种"},
        "felling_type": {"type": "string", "title": "采伐类型"},
        "felling_method": {"type": "string", "title": "采伐方式"},
        "area_mu": {"type": "number", "title": "采伐面积（亩）"},
        "volume_m3": {"type": "number", "title": "采伐蓄积（立方米）"},
    },
}

TYPES: list[dict[str, Any]] = [
    {"suffix": "001", "name": "林木采伐许可证", "years": 1, "face": FELLING_FACE, "prefix": "闽厦海采字"},
    {"suffix": "002", "name": "取水许可证", "years": 5, "face": _schema(water_source="水源类型"), "prefix": "取水"},
    {"suffix": "003", "name": "水土保持方案审批准予行政许可决定书", "years": 0, "face": _schema(), "prefix": "海水保"},
    {"suffix": "004", "name": "动物防疫条件合格证", "years": 0, "face": _schema(), "prefix": "动防合字"},
    {"suffix": "005", "name": "农药经营许可证", "years": 5, "face": _schema(), "prefix": "农药经"},
    {"suffix": "006", "name": "渔业捕捞许可证", "years": 5, "face": _schema(), "prefix": "闽海捕"},
    {"suffix": "007", "name": "渔业船舶检验证书", "years": 5, "face": _schema(), "prefix": "", "here": False},
]
NATIONAL_TYPES = [
    ("001", "营业执照", "国家市场监督管理总局"),
    ("002", "居民身份证", "公安部"),
    ("003", "林权证（不动产权证书·林权）", "自然资源部"),
]
# The district natural-resources office that issued the demo forest-right certificate:
FOREST_RIGHT_ISSUER = ("厦门市自然资源和规划局海沧分局", "11350205MB0C100016")


@transaction.atomic
def load_licence_demo() -> int:
    """Create the demo licence types and the farmer's forest-right certificate; return licences created."""
    bureau = settings.BUREAU_CREDIT_CODE
    for t in TYPES:
        LicenceType.objects.update_or_create(
            code=bureau + t["suffix"],
            defaults=dict(
                name=t["name"],
                defining_body=settings.BUREAU_NAME,
                issuer_name=settings.BUREAU_NAME,
                issuer_code=bureau,
                face_schema=t["face"],
                validity_years=t["years"],
                layout={"title": t["name"], "number_prefix": t["prefix"], "face_from_form": True},
                issued_here=t.get("here", True),
            ),
        )
    for suffix, name, body in NATIONAL_TYPES:
        LicenceType.objects.update_or_create(
            code=NATIONAL + suffix,
            defaults=dict(name=name, defining_body=body, face_schema=_schema(), layout={"title": name}),
        )
    created = 0
    farmer = NaturalPerson.objects.filter(name="陈爱丽").first()
    forest_right = LicenceType.objects.get(code=NATIONAL + "003")
    if farmer is not None and not Licence.objects.filter(licence_type=forest_right, holder_key=farmer.id_number_hash):
        issuer_name, issuer_code = FOREST_RIGHT_ISSUER
        serial = "2019000123"
        Licence.objects.create(
            identifier=make_licence_identifier(forest_right.code, issuer_code, serial, 1),
            licence_type=forest_right,
            number="闽（2019）厦门市海沧区不动产权第0000123号",
            serial=serial,
            issuer_name=issuer_name,
            issuer_code=issuer_code,
            issued_on=datetime.date(2019, 6, 12),
            valid_from=datetime.date(2019, 6, 12),
            valid_until=datetime.date(2069, 6, 11),
            holder_name=farmer.name,
            holder_code_type=HolderCodeType.RESIDENT_ID,
            holder_key=farmer.id_number_hash,
            holder_masked=farmer.id_number_masked,
            face={"location": "东孚镇过坂村 12林班 3小班", "area_mu": "86.5", "species": "马尾松、杉木"},
            status_index=reserve_status_indexes(1),
            imported=True,
        )
        created += 1
    coop = LegalEntity.objects.filter(credit_code="93350205MA2Y4GL0XK").first()
    licence_type = LicenceType.objects.get(code=NATIONAL + "001")
    if coop is not None and not Licence.objects.filter(licence_type=licence_type, holder_key=coop.credit_code):
        serial = "93350205MA2Y4GL0XK"
        Licence.objects.create(
            identifier=make_licence_identifier(licence_type.code, "11350205MB0D200018", serial, 1),
            licence_type=licence_type,
            number=coop.credit_code,
            serial=serial,
            issuer_name="厦门市海沧区市场监督管理局",
            issuer_code="11350205MB0D200018",
            issued_on=datetime.date(2018, 3, 20),
            valid_from=datetime.date(2018, 3, 20),
            holder_name=coop.name,
            holder_code_type=HolderCodeType.CREDIT_CODE,
            holder_key=coop.credit_code,
            holder_masked=coop.credit_code,
            status_index=reserve_status_indexes(1),
            imported=True,
        )
        created += 1
    transaction.on_commit(publish_status_lists_after_commit)
    return created
