"""What a case event, a rating, an item or a licence becomes as an exchange message (docs/exchange.md).

Pure mapping, no writes: ``messages_for_event`` says which messages (type, flag, content)
one case event makes; the outbox (sharing.actions) stores them. Field names are those of the
national exchange: the item's names from the catalog exchange (``TASK_CODE``, ``TASK_NAME``,
``DEPT_NAME`` …, docs/catalog-exchange.md), the licence's from GB/T 36903 (``ZZBS``,
``ZZMC`` …), and the case's in the same style (``PROJID``, ``NODE_NAME`` …), listed in
docs/exchange.md. Personal data leaves only as far as the province needs it: the applicant's
name and, for a person, the masked ID number (the full number is never decrypted here).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from govhall.cases.constants import CaseStatus, EventKind
from govhall.cases.models import Case, CaseEvent
from govhall.sharing.constants import Flag, MessageType

# 办件结果 (RESULT_CODE): 1 准予, 2 不予, 3 不予受理, 4 撤回
RESULT_APPROVED, RESULT_DENIED, RESULT_NOT_ACCEPTED, RESULT_WITHDRAWN = "1", "2", "3", "4"
# 申请人类型 (APPLYER_TYPE): 1 natural person, 2 legal person or other organisation
APPLICANT_PERSON, APPLICANT_ENTITY = "1", "2"


@dataclass(frozen=True)
class Draft:
    """One message to be stored: its type, flag, what it is about and its content."""

    message_type: str
    flag: str
    stream: str
    data: dict[str, Any]


def region_code() -> str:
    """The bureau's 12-digit region code (350205000000 for Haicang)."""
    return str(settings.REGION_CODE).ljust(12, "0")


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_stream(case: Case) -> str:
    return f"case:{case.reference or case.public_id}"


def _base(case: Case, event: CaseEvent | None, provincial_number: str | None) -> dict[str, Any]:
    """The fields every case message carries: the case number, the item, the unit, the area."""
    version = case.item_version
    item = version.item
    data: dict[str, Any] = {
        "PROJID": case.reference,
        "TASK_CODE": item.implementation_code,
        "TASK_HANDLE_ITEM": item.handling_code or None,
        "TASK_NAME": version.name,
        "TASK_VERSION": version.number,
        "DEPT_NAME": case.department.name,
        "DEPT_CODE": case.department.credit_code,
        "AREA_CODE": region_code(),
    }
    if provincial_number:
        data["PROV_PROJID"] = provincial_number
    if event is not None:
        data["EVENT_ID"] = event.pk
        data["EVENT_TIME"] = _iso(event.created_at)
    return data


def case_fields(case: Case) -> dict[str, Any]:
    """Message 10 (办件信息): the case as it stands."""
    if case.entity_id and case.entity is not None:
        applicant_type, code_type, code = APPLICANT_ENTITY, "001", case.entity.credit_code
    else:
        person = case.person
        applicant_type, code_type, code = APPLICANT_PERSON, "111", person.id_number_masked if person else ""
    return {
        "APPLYER_TYPE": applicant_type,
        "APPLYER_NAME": case.applicant_name,
        "APPLYER_PAGE_TYPE": code_type,
        "APPLYER_PAGE_CODE": code,
        "APPLY_TIME": _iso(case.submitted_at),
        "RECEIVE_TIME": _iso(case.accepted_on),
        "PROMISE_DATE": _iso(case.due_on),
        "ANTICIPATE_DATE": _iso(case.statutory_due_on),
        "PROMISE_DAY": case.item_version.committed_limit,
        "PROMISE_TYPE": case.item_version.committed_unit,
        "HANDLE_STATE": case.status,
        "HANDLE_STATE_NAME": str(CaseStatus(case.status).label) if case.status in CaseStatus.values else case.status,
        "FINISH_TIME": _iso(case.closed_at),
    }


def _step(event: CaseEvent, node_name: str) -> dict[str, Any]:
    return {
        "NODE_NAME": node_name,
        "NODE_ORDER": event.step_order,
        "HANDLE_USER_NAME": event.actor_label,
        "HANDLE_OPINION": event.opinion,
        "HANDLE_TIME": _iso(event.created_at),
        "HANDLE_STATE": event.to_status,
    }


def messages_for_event(event: CaseEvent, provincial_number: str | None = None) -> list[Draft]:
    """The messages one case event makes, in the order they are to be applied (may be none).

    ``provincial_number``: the provincial hall's case number of a case filed there.

    ``event.case`` must carry its item version, item, department, person and entity
    (the outbox loads them for a whole batch at once).
    """
    case = event.case
    if not case.reference:
        return []
    stream = case_stream(case)
    base = _base(case, event, provincial_number)
    kind = event.kind
    data = event.data or {}

    def draft(message_type: str, flag: str, fields: dict[str, Any]) -> Draft:
        return Draft(message_type, flag, stream, {**base, **fields})

    if kind == EventKind.SUBMITTED:
        return [draft(MessageType.CASE, Flag.INSERT, case_fields(case))]
    if kind == EventKind.ACCEPTED:
        return [
            draft(MessageType.CASE, Flag.UPDATE, case_fields(case)),
            draft(MessageType.STEP, Flag.INSERT, _step(event, str(EventKind.ACCEPTED.label))),
        ]
    if kind == EventKind.CORRECTION_REQUESTED:
        drafts = []
        if event.from_status == CaseStatus.IN_PROGRESS:
            # An accepted case's clock stops with the request (cases.actions.request_correction):
            drafts.append(
                draft(
                    MessageType.CLOCK_PAUSED,
                    Flag.INSERT,
                    {"PAUSE_TYPE": "correction", "PAUSE_REASON": event.opinion, "PAUSE_TIME": _iso(event.created_at)},
                )
            )
        drafts.append(
            draft(
                MessageType.CORRECTION,
                Flag.INSERT,
                {"CORRECTION_ITEMS": list(data.get("corrections", [])), "CORRECTION_TIME": _iso(event.created_at)},
            )
        )
        return drafts
    if kind in (EventKind.CORRECTION_ANSWERED, EventKind.SPECIAL_PROCEDURE_ENDED):
        drafts = []
        if data.get("paused_from"):
            drafts.append(
                draft(
                    MessageType.CLOCK_RESUMED,
                    Flag.INSERT,
                    {
                        "PAUSE_FROM": data.get("paused_from"),
                        "RESUME_TIME": _iso(event.created_at),
                        "PAUSE_WORKING_DAYS": data.get("paused_working_days", 0),
                    },
                )
            )
        drafts.append(draft(MessageType.CASE, Flag.UPDATE, case_fields(case)))
        return drafts
    if kind == EventKind.SPECIAL_PROCEDURE_STARTED:
        return [
            draft(
                MessageType.CLOCK_PAUSED,
                Flag.INSERT,
                {
                    "PAUSE_TYPE": str(data.get("procedure", "special")),
                    "PAUSE_REASON": event.opinion,
                    "PAUSE_TIME": _iso(event.created_at),
                },
            )
        ]
    if kind == EventKind.FORWARDED:
        # Up to the higher authority, with what it needs to decide: the application, its
        # materials (named, with their digests: the files go by the platform's file exchange)
        # and the bureau's opinions so far:
        opinions = [
            {"NODE": str(EventKind(e.kind).label) if e.kind in EventKind.values else e.kind, "OPINION": e.opinion,
             "TIME": _iso(e.created_at)}
            for e in case.events.filter(kind__in=[EventKind.ACCEPTED, EventKind.STEP_COMPLETED,
                                                  EventKind.COUNTERSIGN_ANSWERED]).order_by("pk")
            if e.opinion
        ]  # fmt: skip
        materials = [
            {"MATERIAL_NAME": m.material.name, "FILE_NAME": m.original_name, "SHA256": m.sha256,
             "FROM_LICENCE": m.licence.identifier if m.licence else None}
            for m in case.materials.filter(is_current=True).select_related("material", "licence")
        ]  # fmt: skip
        return [
            draft(
                MessageType.FORWARD,
                Flag.INSERT,
                {
                    **case_fields(case),
                    "FORM_DATA": case.form_data,
                    "MATERIALS": materials,
                    "PRELIMINARY_OPINION": event.opinion,
                    "OPINIONS": opinions,
                    "FORWARD_TIME": _iso(event.created_at),
                },
            )
        ]
    if kind == EventKind.FEE_ORDERED:
        # The payment notice (payments.actions.issue_order): what is due, by when, under which code:
        return [
            draft(
                MessageType.PAYMENT_NOTICE,
                Flag.INSERT,
                {
                    "PAY_CODE": data.get("payment_code", ""),
                    "PAY_AMOUNT": data.get("total", ""),
                    "PAY_DEADLINE": data.get("due_on", ""),
                    "NOTICE_TIME": _iso(event.created_at),
                },
            )  # fmt: skip
        ]
    if kind == EventKind.FEE_PAID:
        return [
            draft(
                MessageType.PAYMENT,
                Flag.INSERT,
                {
                    "PAY_CODE": data.get("payment_code", ""),
                    "PAY_AMOUNT": data.get("amount", ""),
                    "PAY_CHANNEL": data.get("channel", ""),
                    "RECEIPT_NO": data.get("receipt_number", ""),
                    "PAY_TIME": _iso(event.created_at),
                },
            )  # fmt: skip
        ]
    if kind in (EventKind.STEP_COMPLETED, EventKind.COUNTERSIGN_ANSWERED):
        node = str(data.get("step") or data.get("department") or EventKind(kind).label)
        return [draft(MessageType.STEP, Flag.INSERT, _step(event, node))]
    if kind == EventKind.NOT_ACCEPTED:
        return [
            draft(MessageType.RESULT, Flag.INSERT, _result(event, RESULT_NOT_ACCEPTED)),
            draft(MessageType.CASE, Flag.UPDATE, case_fields(case)),
        ]
    if kind == EventKind.DECIDED:
        code = RESULT_APPROVED if event.to_status == CaseStatus.APPROVED else RESULT_DENIED
        drafts = [draft(MessageType.RESULT, Flag.INSERT, _result(event, code))]
        if data.get("licence"):
            drafts.append(
                draft(
                    MessageType.RESULT_FILE,
                    Flag.INSERT,
                    {
                        "ZZBS": data["licence"],
                        "RESULT_NAME": case.item_version.result_name,
                        "RESULT_FILE_URL": f"/licences/verify/?id={data['licence']}",
                    },
                )
            )
        return drafts
    if kind in (
        EventKind.CLOSED,
        EventKind.WITHDRAWN,
        EventKind.EXTENSION_APPROVED,
        EventKind.DUE_DATES_RECOUNTED,
    ):
        fields = case_fields(case)
        if kind == EventKind.WITHDRAWN:
            fields["RESULT_CODE"] = RESULT_WITHDRAWN
        return [draft(MessageType.CASE, Flag.UPDATE, fields)]
    # Internal to the bureau (countersign requested, extension asked or refused): nothing goes up.
    return []


def _result(event: CaseEvent, code: str) -> dict[str, Any]:
    case = event.case
    return {
        "RESULT_CODE": code,
        "RESULT_REASON": case.decision_reason or event.opinion,
        "RESULT_BASIS": case.decision_basis or (event.data or {}).get("legal_basis", ""),
        "RESULT_TIME": _iso(event.created_at),
        "HANDLE_USER_NAME": event.actor_label,
    }


def item_message(version: Any) -> Draft:
    """Message 40 (事项发布): a published version of an item, in the catalog exchange's names."""
    item = version.item
    return Draft(
        MessageType.ITEM,
        Flag.INSERT if version.number == 1 else Flag.UPDATE,
        f"item:{item.implementation_code}",
        {
            "TASK_CODE": item.implementation_code,
            "CATALOG_CODE": item.basic_code,
            "TASK_HANDLE_ITEM": item.handling_code or None,
            "TASK_NAME": version.name,
            "TASK_TYPE": version.item_type,
            "TASK_STATE": item.status,
            "TASK_VERSION": version.number,
            "ANTICIPATE_DAY": version.statutory_limit,
            "ANTICIPATE_TYPE": version.statutory_unit,
            "PROMISE_DAY": version.committed_limit,
            "PROMISE_TYPE": version.committed_unit,
            "PROJECT_TYPE": version.project_type,
            "DEPT_CODE": version.implementing_body_code,
            "PLAN_EFFECTIVE_DATE": _iso(version.effective_from),
            "AREA_CODE": region_code(),
        },
    )


def licence_message(licence: Any) -> Draft:
    """Message 50 (证照归集): a licence with its GB/T 36903 metadata, for the district licence library."""
    return Draft(
        MessageType.LICENCE,
        Flag.INSERT if licence.version == 1 else Flag.UPDATE,
        f"licence:{licence.identifier}",
        {
            "ZZBS": licence.identifier,
            "ZZMC": licence.licence_type.name,
            "ZZLXDM": licence.licence_type.code,
            "ZZBH": licence.number,
            "ZZBFJG": licence.issuer_name,
            "ZZBFJGDM": licence.issuer_code,
            "ZZBFRQ": _iso(licence.issued_on),
            "CZZT": licence.holder_name,
            "CZZTDM": licence.holder_masked,
            "CZZTDMLX": licence.holder_code_type,
            "ZZYXQQSRQ": _iso(licence.valid_from),
            "ZZYXQJZRQ": _iso(licence.valid_until),
            "ZZQZSJ": _iso(licence.signed_at),
            "ZZZT": licence.status,
            "LSDR": "1" if licence.imported else "0",
            "BJBH": licence.case_reference or None,
            "KZ": dict(licence.face or {}),
            "AREA_CODE": region_code(),
        },
    )


def figures_message(month: datetime.date, indicators: dict[str, Any]) -> Draft:
    """Message 60 (统计月报): a closed month's indicators as kept in its 通报, for the higher level.

    The same numbers as the kept report (stats.queries.indicator_summary), never recomputed:
    the bureau's value and target of each measure, and each unit's values.
    """
    return Draft(
        MessageType.FIGURES,
        Flag.INSERT,
        f"figures:{region_code()}",
        {
            "AREA_CODE": region_code(),
            "MONTH": f"{month:%Y-%m}",
            "COMPLETE": bool(indicators.get("complete")),
            "MEASURES": [
                {"CODE": m["key"], "NAME": m["title"], "VALUE": m["value"], "TARGET": m["target"]}
                for m in indicators.get("measures", [])
            ],
            "UNITS": [
                {"DEPT_CODE": unit["code"], "DEPT_NAME": unit["name"], "VALUES": unit["values"]}
                for unit in indicators.get("units", [])
            ],
        },
    )
