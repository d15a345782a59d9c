"""A valid 行政许可 item and helpers to create and publish it through the real actions."""

from __future__ import annotations

import copy
from typing import Any

from govhall.catalog import actions
from govhall.catalog.models import ItemVersion
from govhall.identity.models import Department, User

BUREAU_CODE = "11350205MB01000012"

CONTENT: dict[str, Any] = {
    "name": "林木采伐许可证核发",
    "item_type": "01",
    "implementing_body": "厦门市海沧区农林水利局",
    "implementing_body_code": BUREAU_CODE,
    "legal_basis": [
        {
            "LAW_NAME": "中华人民共和国森林法",
            "LAW_NUMBER": "",
            "LAW_ARTICLE": "第五十六条",
            "LAW_TEXT": "采伐林地上的林木应当申请采伐许可证。",
        }
    ],
    "acceptance_conditions": "申请人为林木所有者，采伐地点位于海沧区。",
    "statutory_limit": 20,
    "statutory_unit": "1",
    "committed_limit": 5,
    "committed_unit": "1",
    "project_type": "2",
    "handling_forms": ["1", "2"],
    "visits": 0,
    "has_fee": False,
    "consultation_phone": "0592-6050001",
    "supervision_phone": "0592-6050002",
    "service_targets": ["1", "2"],
    "is_online": True,
    "online_depth": ["1", "2", "3", "4", "5", "6", "7"],
    "result_name": "林木采伐许可证",
    "result_sample": "林木采伐许可证（样本）",
    "star_level": 4,
    "themes": ["林业生产"],
    "form_schema": {
        "type": "object",
        "properties": {
            "location": {"type": "string", "title": "采伐地点"},
            "volume": {"type": "number", "title": "采伐蓄积（立方米）", "minimum": 0},
        },
        "required": ["location", "volume"],
    },
}


def children(department: Department) -> dict[str, list[dict[str, Any]]]:
    return {
        "materials": [
            {"order": 1, "name": "林木采伐申请表", "need": "1", "source": "1"},
            {"order": 2, "name": "林权证", "need": "1", "source": "2", "licence_type_code": "11100000000013338W003"},
        ],
        "steps": [
            {"order": n, "name": name, "kind": kind, "role": role, "department": department, "time_limit": days}
            for n, (name, kind, role, days) in enumerate(
                [
                    ("受理", "accept", "clerk", 0),
                    ("审查", "review", "reviewer", 2),
                    ("决定", "decision", "approver", 2),
                    ("办结", "close", "clerk", 0),
                    ("送达", "deliver", "clerk", 1),
                ],
                start=1,
            )
        ],
        "fees": [],
        "questions": [{"order": 1, "question": "采伐许可证有效期多久？", "answer": "以证上载明的期限为准。"}],
    }


def create_draft(
    editor: User | str,
    department: Department,
    *,
    code_suffix: str = "00001000",
    overrides: dict[str, Any] | None = None,
    materials: list[dict[str, Any]] | None = None,
    steps: list[dict[str, Any]] | None = None,
) -> ItemVersion:
    content = {**copy.deepcopy(CONTENT), "handling_department": department, **(overrides or {})}
    lists = children(department)
    if materials is not None:
        lists["materials"] = materials
    if steps is not None:
        lists["steps"] = steps
    basic = "3501" + code_suffix
    return actions.create_item(
        basic_code=basic,
        implementation_code=BUREAU_CODE + "4" + basic,
        department=department,
        content=content,
        children=lists,
        actor=editor,
    )


def publish(version: ItemVersion, editor: User, approver: User, **kwargs: Any) -> ItemVersion:
    actions.submit_version(version, actor=editor)
    return actions.publish_version(version, actor=approver, **kwargs)
