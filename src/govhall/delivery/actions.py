"""Delivery of results (送达): the applicant's choice, the ready result, EMS, the window hand-over, the download.

The app takes part in the case's flow after the fact (DESIGN §3a): it reads the case feed, and
a case closed with a decision makes its result ready — the decision letter signed and kept,
then, as the applicant chose, a pick-up code for the window, a waybill from EMS, or the
documents to download. The time of service (送达时间) is the signature on the parcel, the
hand-over at the window or the first download. Every change is an event on the case's timeline
and an audit record; the applicant is told at each turn.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govhall.audit.actions import record
from govhall.cases import actions as cases
from govhall.cases import feed
from govhall.cases.constants import FINISHED_STATUSES, CaseStatus, EventKind
from govhall.cases.models import Case, CaseEvent
from govhall.catalog.models import ItemVersion
from govhall.delivery import documents, ems
from govhall.delivery.constants import (
    CHANGEABLE_STATUSES,
    FINAL_SHIPMENT_STATUSES,
    PROGRESS,
    TRACKING_STATUS,
    UNDELIVERED,
    DeliveryStatus,
    Method,
    ShipmentKind,
    ShipmentStatus,
    Tracking,
)
from govhall.delivery.models import Delivery, Shipment, TrackingEvent, TrackingNonce
from govhall.identity.constants import Role
from govhall.identity.models import User
from govhall.identity.queries import county_region_name, departments_covered, find_person_by_id_number
from govhall.lib.crypto import decrypt_text, encrypt_text
from govhall.lib.errors import Conflict
from govhall.lib.identifiers import mask_id_number, mask_phone, normalise_phone, parse_resident_id
from govhall.lib.schedule import queue_once
from govhall.proactive.actions import notify
from govhall.proactive.queries import Joined, joined_of, joined_with

logger = logging.getLogger(__name__)

CONSUMER = "delivery"
# A case closed longer ago than this when the feed first reaches it was served the old way:
REPLAY_HORIZON = datetime.timedelta(days=30)
# Statuses in which a case has a result on its way, so the applicant may say how it should come:
_OPEN_CASE = {
    CaseStatus.SUBMITTED,
    CaseStatus.CORRECTION_REQUESTED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.COUNTERSIGNING,
    CaseStatus.SPECIAL_PROCEDURE,
    CaseStatus.FORWARDED,
    CaseStatus.APPROVED,
    CaseStatus.DENIED,
    CaseStatus.CLOSED,
}


class DeliveryRefused(Conflict):
    """The delivery is not in a state that allows this (already sent, already collected)."""


# The choice ------------------------------------------------------------------------------------------


def allowed_methods(version: ItemVersion) -> list[str]:
    """What the item allows: the window where it is handled in the hall, EMS where it allows post,
    electronic where it is handled online (the decision letter and licence are signed PDFs)."""
    methods: list[str] = []
    if version.in_hall or not (version.express_delivery or version.is_online):
        methods.append(Method.WINDOW)
    if version.express_delivery:
        methods.append(Method.EMS)
    if version.is_online:
        methods.append(Method.ELECTRONIC)
    return methods


@dataclass(frozen=True)
class Address:
    """Where EMS brings the result, as the applicant typed it."""

    recipient: str = ""
    phone: str = ""
    region_code: str = ""
    address: str = ""
    postcode: str = ""


def _check_address(address: Address) -> tuple[str, str, str]:
    """The recipient's normalised phone and the region's name and code; every problem at once if not."""
    problems: dict[str, str] = {}
    if not 2 <= len(address.recipient.strip()) <= 100:
        problems["recipient"] = _("请填写收件人姓名。")
    phone = ""
    try:
        phone = normalise_phone(address.phone)
    except ValidationError:
        problems["phone"] = _("请填写收件人的手机号码或带区号的固定电话，EMS投递前会联系收件人。")
    code = address.region_code.strip()
    region = county_region_name(code)
    if region is None:
        problems["region_code"] = _(
            "请选择收件地址所在的区县（GB/T 2260 六位行政区划代码，如海沧区 350205）；省、市一级的代码不能用于投递。"
        )
    if not 5 <= len(address.address.strip()) <= 200:
        problems["address"] = _("请填写街道、门牌号等详细地址（5 到 200 个字）。")
    if address.postcode and not (len(address.postcode) == 6 and address.postcode.isdigit()):
        problems["postcode"] = _("邮政编码是 6 位数字，不知道可以不填。")
    if problems:
        raise ValidationError(problems)
    return phone, region or "", code


def _locked_delivery(case: Case) -> Delivery:
    """The case's delivery, made with the item's default the first time; the row locked."""
    delivery = Delivery.objects.select_for_update().filter(case=case).first()
    if delivery is not None:
        return delivery
    method = allowed_methods(case.item_version)[0]
    try:
        with transaction.atomic():
            Delivery.objects.create(case=case, method=method)
    except IntegrityError:
        pass  # made by a concurrent call: take that one
    return Delivery.objects.select_for_update().get(case=case)


@transaction.atomic
def choose(case: Case, *, applicant: User, method: str, address: Address | None = None) -> Delivery:
    """The applicant says how the result should reach them; allowed until it is ready (or after a return).

    For a case filed as part of a 一件事 the choice is the bundle's: it applies to each of its cases
    whose result is still to come (one delivery for the bundle), and every item must allow it.
    """
    joined = joined_with(case.pk)
    _lock_cases(joined.case_ids if joined else (case.pk,))
    case = Case.objects.select_related("item_version").get(pk=case.pk)
    if case.applicant_id != applicant.pk:
        raise PermissionDenied(_("这不是您的办件。"))
    if case.status not in _OPEN_CASE or (case.status == CaseStatus.CLOSED and not case.decision):
        raise DeliveryRefused(_("这个办件没有需要送达的结果。"), code="no_result")
    if method not in allowed_methods(case.item_version):
        raise ValidationError({"method": _("这个事项不支持这种送达方式，请从列出的方式中选择。")})
    delivery = _locked_delivery(case)
    if delivery.status not in CHANGEABLE_STATUSES:
        raise DeliveryRefused(
            _("结果已经%(status)s，不能再更改送达方式；如有问题请联系承办窗口。")
            % {"status": delivery.get_status_display()},
            code="not_changeable",
        )
    chosen = [(delivery, case)]
    if joined is not None:
        others = (
            Case.objects.filter(pk__in=joined.case_ids, applicant_id=applicant.pk, status__in=_OPEN_CASE)
            .exclude(pk=case.pk)
            .exclude(status=CaseStatus.CLOSED, decision="")
            .select_related("item_version")
            .order_by("pk")
        )
        for other in others:
            other_delivery = _locked_delivery(other)
            if other_delivery.status in CHANGEABLE_STATUSES:
                chosen.append((other_delivery, other))
    for _delivery, item_case in chosen[1:]:  # the bundle's other cases: each item must allow it too
        if method not in allowed_methods(item_case.item_version):
            raise ValidationError(
                {
                    "method": _("“%(item)s”不支持这种送达方式，请从列出的方式中选择。")
                    % {"item": item_case.item_version.name}
                }
            )
    fields = ["method", "chosen_at", "recipient", "phone_encrypted", "phone_masked", "region_code", "region_name",
              "address", "postcode", "updated_at"]  # fmt: skip
    where: tuple[str, str, str, str, str, str] | None = None
    if method == Method.EMS:
        address = address or Address()
        phone, region, code = _check_address(address)
        where = (address.recipient.strip(), code, region, phone, address.address.strip(), address.postcode.strip())
    returned = []
    for item_delivery, item_case in chosen:
        item_delivery.method, item_delivery.chosen_at = method, timezone.now()
        if where is not None:
            recipient, code, region, phone, street, postcode = where
            item_delivery.recipient, item_delivery.region_code, item_delivery.region_name = recipient, code, region
            item_delivery.phone_encrypted, item_delivery.phone_masked = encrypt_text(phone), mask_phone(phone)
            item_delivery.address, item_delivery.postcode = street, postcode
        item_delivery.save(update_fields=fields)
        data = {"method": method, "region_code": item_delivery.region_code if method == Method.EMS else "",
                **({"bundle": joined.name} if joined else {})}  # fmt: skip
        cases.record_event(
            item_case, EventKind.DELIVERY_CHOSEN, actor=applicant, opinion=str(Method(method).label), data=data
        )
        if item_delivery.status == DeliveryStatus.RETURNED:  # the result is ready: send it again, the new way
            returned.append((item_delivery, item_case))
    _start_together(returned, joined.name if joined else "", actor=applicant)
    return delivery


def _lock_cases(case_ids: tuple[int, ...]) -> None:
    """Lock the cases (a 一件事's all at once, in id order: two of its cases handled at once cannot deadlock)."""
    list(Case.objects.select_for_update(of=("self",)).filter(pk__in=case_ids).order_by("pk").values_list("pk"))


# The result is ready ------------------------------------------------------------------------------------


def handle_case_events(events: list[CaseEvent]) -> None:
    """The feed's handler: a case closed with a decision has its result made ready."""
    horizon = timezone.now() - REPLAY_HORIZON
    for event in events:
        if event.kind == EventKind.CLOSED and event.created_at >= horizon:
            prepare(event.case_id)
        elif event.kind in (EventKind.WITHDRAWN, EventKind.NOT_ACCEPTED) and event.created_at >= horizon:
            # A 一件事's other results may have waited for this case only:
            joined = joined_with(event.case_id)
            if joined is not None:
                with transaction.atomic():
                    _lock_cases(joined.case_ids)
                    _start_joined(joined, actor="delivery")


def consume_case_events(*, batch: int = 200) -> int:
    total = 0
    while handled := feed.consume(CONSUMER, handle_case_events, batch=batch):
        total += handled
    return total


def prepare(case_id: int) -> Delivery | None:
    """Make the closed case's result ready to deliver, once: the decision letter, then the chosen way.

    The results of a 一件事 are held until the last of its cases has ended, then delivered
    together (one delivery for the bundle): one parcel, or one message for the window or download.
    """
    with transaction.atomic():
        joined = joined_with(case_id)
        _lock_cases(joined.case_ids if joined else (case_id,))
        case = Case.objects.select_related("item_version").get(pk=case_id)
        if case.status != CaseStatus.CLOSED or not case.decision:
            if joined is not None:  # closed without a result: the bundle's other results may have waited for it
                _start_joined(joined, actor="delivery")
            return None
        delivery = _locked_delivery(case)
        if delivery.status != DeliveryStatus.WAITING:
            return delivery
        if delivery.ready_at is None:
            delivery.ready_at = timezone.now()
            delivery.save(update_fields=["ready_at", "updated_at"])
            delivery.case = case
            documents.keep_decision(delivery)
            cases.record_event(case, EventKind.RESULT_READY, actor="delivery", opinion=delivery.get_method_display(),
                               data={"method": delivery.method, **({"bundle": joined.name} if joined else {})})  # fmt: skip
        if joined is None:
            _start(delivery, case, actor="delivery")
        else:
            _start_joined(joined, actor="delivery")
        delivery.refresh_from_db()
        return delivery


def _start_joined(joined: Joined, *, actor: Any) -> None:
    """Deliver a 一件事's results together once none of its cases is still handled and every result is ready."""
    members = list(Case.objects.filter(pk__in=joined.case_ids).select_related("item_version", "applicant"))
    if any(member.status not in FINISHED_STATUSES for member in members):
        return  # held: the last case's closing delivers them all
    with_result = [member for member in members if member.status == CaseStatus.CLOSED and member.decision]
    deliveries = {d.case_id: d for d in Delivery.objects.select_for_update().filter(case__in=with_result)}
    if any(member.pk not in deliveries or deliveries[member.pk].ready_at is None for member in with_result):
        return  # a result is not made ready yet: its own preparing delivers them all
    waiting = [(deliveries[m.pk], m) for m in with_result if deliveries[m.pk].status == DeliveryStatus.WAITING]
    _start_together(waiting, joined.name, actor=actor)


def _start_together(pairs: list[tuple[Delivery, Case]], bundle: str, *, actor: Any) -> None:
    """Send several ready results of one 一件事 at once: one parcel by EMS, one message for the window or download."""
    by_method: dict[tuple[str, int], list[tuple[Delivery, Case]]] = {}
    for pair in sorted(pairs, key=lambda pair: pair[1].pk):
        # At the window, by unit: a pick-up clerk hands over the results of their own units
        unit = pair[1].department_id if pair[0].method == Method.WINDOW else 0
        by_method.setdefault((pair[0].method, unit), []).append(pair)
    for (method, _unit), group in by_method.items():
        if len(group) == 1 or not bundle:
            for delivery, case in group:
                _start(delivery, case, actor=actor)
        elif method == Method.EMS:
            _start(group[0][0], group[0][1], actor=actor, also=group[1:])
        else:
            for delivery, case in group:
                _start(delivery, case, actor=actor, tell=False)
            _tell_together(group, bundle)


def _tell_together(group: list[tuple[Delivery, Case]], bundle: str) -> None:
    """One message for a 一件事's results waiting at the window, or ready to download."""
    first = group[0][1]
    link = f"/my/cases/{first.public_id}/#delivery"
    if group[0][0].method == Method.WINDOW:
        codes = "；".join(
            _("%(item)s（办件 %(reference)s）取件码 %(code)s")
            % {"item": case.item_version.name, "reference": case.reference, "code": delivery.pickup_code}
            for delivery, case in group
        )
        body = _(
            "一件事“%(name)s”的 %(count)d 个办理结果已备好：%(codes)s。到窗口出示其中任一取件码和本人身份证件，"
            "即可一并领取（%(place)s，%(hours)s）；委托他人代领的，代领人须带本人身份证件和您签名的授权委托书。"
        ) % {"name": bundle, "count": len(group), "codes": codes,
             "place": first.item_version.address or _("办事大厅"), "hours": first.item_version.hours or _("工作日办公时间")}  # fmt: skip
        notify(first.applicant, _("一件事的办理结果可以领取了：%(name)s") % {"name": bundle}, body=body, link=link)
    else:
        body = _(
            "一件事“%(name)s”的 %(count)d 个办理结果（%(references)s）的决定书和电子证照已可在“我的办件”中下载；"
            "每个结果第一次下载的时间即为其送达时间。"
        ) % {"name": bundle, "count": len(group), "references": "、".join(case.reference or "" for _d, case in group)}
        notify(first.applicant, _("一件事的办理结果已可下载：%(name)s") % {"name": bundle}, body=body, link=link)


def _pickup_code() -> str:
    while True:
        code = f"{secrets.randbelow(10**8):08d}"
        if not Delivery.objects.filter(pickup_code=code, status=DeliveryStatus.AWAITING_COLLECTION).exists():
            return code


def _start(
    delivery: Delivery,
    case: Case,
    *,
    actor: Any,
    tell: bool = True,
    also: list[tuple[Delivery, Case]] | None = None,
) -> None:
    """Send the ready result the chosen way (the delivery and the case locked by the caller).

    ``tell=False``: the caller tells the applicant once for several results; ``also``: by EMS, the
    other results of the same 一件事, in the same parcel.
    """
    name = case.item_version.name
    link = f"/my/cases/{case.public_id}/#delivery"
    if delivery.method == Method.WINDOW:
        delivery.status, delivery.pickup_code, delivery.reminded_at, delivery.awaiting_since = (
            DeliveryStatus.AWAITING_COLLECTION, _pickup_code(), None, timezone.now(),
        )  # fmt: skip
        delivery.save(update_fields=["status", "pickup_code", "reminded_at", "awaiting_since", "updated_at"])
        version = case.item_version
        if not tell:
            return
        notify(
            case.applicant,
            _("办理结果可以领取了：%(item)s") % {"item": name},
            body=_(
                "办件 %(reference)s 的结果已备好。请凭取件码 %(code)s 和本人身份证件到 %(place)s 领取（%(hours)s）；"
                "委托他人代领的，代领人须带本人身份证件和您签名的授权委托书。"
            )
            % {
                "reference": case.reference,
                "code": delivery.pickup_code,
                "place": version.address or _("办事大厅"),
                "hours": version.hours or _("工作日办公时间"),
            },  # fmt: skip
            link=link,
        )
    elif delivery.method == Method.ELECTRONIC:
        delivery.status = DeliveryStatus.AVAILABLE
        delivery.save(update_fields=["status", "updated_at"])
        if not tell:
            return
        notify(
            case.applicant,
            _("办理结果已可下载：%(item)s") % {"item": name},
            body=_("办件 %(reference)s 的决定书和电子证照已可在“我的办件”中下载；您第一次下载的时间即为送达时间。")
            % {"reference": case.reference},
            link=link,
        )
    else:
        attempt = (delivery.shipments.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
        shipment = Shipment.objects.create(
            delivery=delivery,
            attempt=attempt,
            order_id=f"{case.reference}-{attempt}",
            recipient=delivery.recipient,
            region_code=delivery.region_code,
            address=delivery.full_address,
            next_send_at=timezone.now(),
        )
        for item_delivery, _item_case in also or []:
            shipment.also.add(item_delivery)
            item_delivery.status = DeliveryStatus.TO_SEND
            item_delivery.save(update_fields=["status", "updated_at"])
        delivery.status = DeliveryStatus.TO_SEND
        delivery.save(update_fields=["status", "updated_at"])
        record("delivery.shipment_created", actor if isinstance(actor, User) else None, shipment,
               {"order_id": shipment.order_id})  # fmt: skip
        shipment_id = shipment.pk
        transaction.on_commit(lambda: _enqueue_send(shipment_id))


def _enqueue_send(shipment_id: int) -> None:
    from govhall.delivery.tasks import send_shipment

    send_shipment.enqueue(shipment_id)


# EMS ------------------------------------------------------------------------------------------------------


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(settings.DELIVERY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def send_shipment(shipment_id: int, *, platform: ems.EmsPlatform | None = None) -> str:
    """Ask EMS for the waybill of one created shipment (retry-safe: the order id is EMS's idempotency key)."""
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("delivery__case__item_version")
            .filter(pk=shipment_id)
            .first()
        )
        if shipment is None or shipment.status != ShipmentStatus.CREATED:
            return "nothing"
        delivery, case = shipment.delivery, shipment.delivery.case
        mates = [mate.case for mate in shipment.also.select_related("case__item_version").order_by("case_id")]
        applicant = {
            "name": shipment.recipient,
            "phone": decrypt_text(delivery.phone_encrypted) if delivery.phone_encrypted else "",
            "region_code": shipment.region_code,
            "address": shipment.address,
            "postcode": delivery.postcode,
        }
        materials = shipment.kind == ShipmentKind.MATERIALS
        body = {
            "order_id": shipment.order_id,
            "service": "pickup" if materials else "delivery",
            "sender": applicant if materials else settings.DELIVERY_SENDER,
            "receiver": settings.DELIVERY_SENDER if materials else applicant,
            "contents": (_("%(item)s 申请材料（纸质）") if materials else _("%(item)s 审批结果"))
            % {"item": case.item_version.name[:40]}
            + (_("等 %(count)d 件") % {"count": len(mates) + 1} if mates else ""),
            "notify_url": settings.PUBLIC_URL + "/delivery/ems/push/",
        }
        if materials and shipment.pickup_on:
            body["pickup_date"] = shipment.pickup_on.isoformat()
        shipment.send_attempts += 1
        try:
            platform = platform or ems.EmsPlatform()
            number = platform.create_waybill(body)
        except ems.TransportError as exc:
            shipment.next_send_at = timezone.now() + _backoff(shipment.send_attempts)
            shipment.last_error = str(exc)[:300]
            shipment.save(update_fields=["send_attempts", "next_send_at", "last_error"])
            return "later"
        except ems.Refused as exc:
            shipment.status, shipment.next_send_at, shipment.last_error = ShipmentStatus.FAILED, None, str(exc)[:300]
            shipment.save(update_fields=["status", "send_attempts", "next_send_at", "last_error"])
            record("delivery.waybill_refused", None, shipment, {"error": exc.error[:200]})
            if materials:
                notify(case.applicant, _("上门收取材料未能预约：%(item)s") % {"item": case.item_version.name},
                       body=_("EMS未能接收上门收件订单（%(error)s）。请核对地址后重新预约，或将材料送到窗口。")
                       % {"error": exc.error[:100]}, link=f"/my/cases/{case.public_id}/#delivery")  # fmt: skip
            else:
                # Every result of the parcel goes back to the applicant's choice (one message):
                _lock_cases(tuple(sorted([case.pk, *(mate.pk for mate in mates)])))
                what = _("EMS未能接收寄递订单（%(error)s）。") % {"error": exc.error[:100]}
                parcel = [delivery, *shipment.also.order_by("case_id")]
                for n, item_delivery in enumerate(parcel):
                    _reopen(item_delivery, case if n == 0 else mates[n - 1], what, tell=n == 0)
            return "refused"
        shipment.status, shipment.waybill_no = ShipmentStatus.BOOKED, number
        shipment.next_send_at, shipment.last_error = None, ""
        shipment.save(update_fields=["status", "waybill_no", "send_attempts", "next_send_at", "last_error"])
        if materials:
            notify(
                case.applicant,
                _("EMS将上门收取材料：%(item)s") % {"item": case.item_version.name},
                body=_(
                    "EMS快递员将于 %(day)s 到 %(address)s 收取纸质材料，运单号 %(no)s，寄到承办部门，邮费由本局承担。"
                )
                % {"day": shipment.pickup_on, "address": shipment.address, "no": number},
                link=f"/my/cases/{case.public_id}/#delivery",
            )
            return "sent"
        documents.keep_label(shipment)
        _lock_cases(tuple(sorted([case.pk, *(mate.pk for mate in mates)])))
        for parcel_case in [case, *mates]:
            cases.record_event(parcel_case, EventKind.WAYBILL_CREATED, actor="delivery:ems",
                               opinion=_("EMS运单号 %(no)s") % {"no": number},
                               data={"waybill_no": number, "attempt": shipment.attempt})  # fmt: skip
        items = "、".join(parcel_case.item_version.name for parcel_case in [case, *mates])
        notify(
            case.applicant,
            _("办理结果已交EMS寄出：%(item)s") % {"item": items},
            body=(_("%(count)d 个办理结果同一邮件寄出。") % {"count": len(mates) + 1} if mates else "")
            + _("EMS运单号 %(no)s，寄往 %(address)s。可在“我的办件”中查看寄递进度。")
            % {"no": number, "address": shipment.address},
            link=f"/my/cases/{case.public_id}/#delivery",
        )
        return "sent"


def send_due_shipments(*, limit: int = 200) -> dict[str, int]:
    """Send every created shipment whose time has come (the outbox toward EMS); count what happened."""
    counts: dict[str, int] = {}
    due = Shipment.objects.filter(status=ShipmentStatus.CREATED, next_send_at__lte=timezone.now())
    for shipment_id in due.order_by("next_send_at").values_list("pk", flat=True)[:limit]:
        outcome = send_shipment(shipment_id)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == "later":  # EMS is down: the rest wait for the next run
            break
    return counts


def apply_tracking(shipment: Shipment, events: list[ems.Event]) -> int:
    """Record the waybill's new tracking events once each, and what they mean; how many were new.

    An event already recorded changes nothing; a late event never moves the parcel back. The
    signature on the parcel serves the result; a refusal or a return reopens the delivery.
    """
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update(of=("self",)).select_related("delivery").get(pk=shipment.pk)
        known = set(shipment.events.values_list("event_id", flat=True))
        new = [event for event in events if event.event_id not in known]
        if not new:
            return 0
        TrackingEvent.objects.bulk_create(
            [
                TrackingEvent(
                    shipment=shipment,
                    event_id=e.event_id,
                    kind=e.kind,
                    carrier_code=e.code,
                    description=e.description,
                    place=e.place,
                    happened_at=e.at,
                )  # fmt: skip
                for e in new
            ]
        )
        if shipment.status in FINAL_SHIPMENT_STATUSES:
            return len(new)
        latest = max(new, key=lambda e: (PROGRESS[TRACKING_STATUS[e.kind]], e.at))
        status = TRACKING_STATUS[latest.kind]
        if PROGRESS[status] < PROGRESS.get(ShipmentStatus(shipment.status), 0):
            return len(new)
        shipment.status = status
        shipment.save(update_fields=["status"])
        # The parcel's deliveries: its own, and the other results of a 一件事 sent in it:
        ids = [shipment.delivery_id, *shipment.also.order_by("pk").values_list("pk", flat=True)]
        # Cases before deliveries, as everywhere in this app (the shipment, then cases, then deliveries):
        _lock_cases(tuple(sorted(Delivery.objects.filter(pk__in=ids).values_list("case_id", flat=True))))
        parcel = list(Delivery.objects.select_for_update().filter(pk__in=ids).order_by("case_id"))
        by_case = {
            c.pk: c for c in Case.objects.filter(pk__in=[d.case_id for d in parcel]).select_related("item_version")
        }
        if shipment.kind == ShipmentKind.MATERIALS:
            _materials_tracked(shipment, by_case[parcel[0].case_id], latest)
            return len(new)
        for n, delivery in enumerate(parcel):
            case = by_case[delivery.case_id]
            if latest.kind == Tracking.SIGNED:
                _served(delivery, case, how=Method.EMS, at=latest.at, actor="delivery:ems",
                        data={"waybill_no": shipment.waybill_no})  # fmt: skip
            elif latest.kind in UNDELIVERED:
                what = _("EMS邮件 %(no)s %(what)s。") % {"no": shipment.waybill_no, "what": latest.description}
                _reopen(delivery, case, what, tell=n == 0)  # one message for the parcel
            elif delivery.status == DeliveryStatus.TO_SEND:
                delivery.status = DeliveryStatus.IN_TRANSIT
                delivery.save(update_fields=["status", "updated_at"])
        return len(new)


def _materials_tracked(shipment: Shipment, case: Case, latest: ems.Event) -> None:
    """The applicant's paper materials reached the unit, or did not: the case says so, the applicant is told."""
    link = f"/my/cases/{case.public_id}/#delivery"
    if latest.kind == Tracking.SIGNED:
        cases.record_event(case, EventKind.MATERIALS_RECEIVED, actor="delivery:ems",
                           opinion=_("EMS运单号 %(no)s") % {"no": shipment.waybill_no},
                           data={"waybill_no": shipment.waybill_no})  # fmt: skip
        notify(case.applicant, _("纸质材料已送达：%(item)s") % {"item": case.item_version.name},
               body=_("您的纸质材料（运单号 %(no)s）已送达承办部门。") % {"no": shipment.waybill_no}, link=link)  # fmt: skip
    elif latest.kind in UNDELIVERED or latest.kind == Tracking.EXCEPTION:
        notify(case.applicant, _("纸质材料寄递未完成：%(item)s") % {"item": case.item_version.name},
               body=_("EMS邮件 %(no)s %(what)s。请在“我的办件”中重新预约上门收取，或将材料送到窗口。")
               % {"no": shipment.waybill_no, "what": latest.description}, link=link)  # fmt: skip


def _served(delivery: Delivery, case: Case, *, how: str, at: datetime.datetime, actor: Any,
            data: dict[str, Any]) -> None:  # fmt: skip
    delivery.status, delivery.served_at, delivery.served_how = DeliveryStatus.DELIVERED, at, how
    delivery.save(update_fields=["status", "served_at", "served_how", "updated_at"])
    cases.record_event(case, EventKind.SERVED, actor=actor, opinion=str(Method(how).label),
                       data={"served_at": at.isoformat(), "how": how, **data})  # fmt: skip


def _reopen(delivery: Delivery, case: Case, what: str, *, tell: bool = True) -> None:
    """The result did not reach the applicant: they are told and choose again (the clerk sees it too)."""
    delivery.status = DeliveryStatus.RETURNED
    delivery.save(update_fields=["status", "updated_at"])
    cases.record_event(case, EventKind.DELIVERY_FAILED, actor="delivery", opinion=what[:300])
    if not tell:
        return
    notify(
        case.applicant,
        _("办理结果未能送达：%(item)s") % {"item": case.item_version.name},
        body=what
        + _("请在“我的办件”中核对地址后重新选择送达方式（可改为窗口领取），我们会再次寄送；如有疑问请联系承办窗口。"),
        link=f"/my/cases/{case.public_id}/#delivery",
    )


@dataclass(frozen=True)
class PushAnswer:
    status: int
    message: str


def receive_push(path: str, headers: dict[str, str], body: bytes) -> PushAnswer:
    """A tracking push from EMS: verified, matched, each event recorded once; what to answer."""
    try:
        nonce = ems.verify_push(path, headers, body)
    except ValueError as exc:
        logger.warning("delivery: EMS push refused: %s", exc)
        return PushAnswer(401, "signature")
    try:
        data = json.loads(body)
        events = [ems.Event.read(item) for item in data["events"]]
        number = str(data["waybill_no"])
    except (ValueError, KeyError, TypeError) as exc:
        logger.warning("delivery: EMS push cannot be read: %s", exc)
        return PushAnswer(400, "unreadable")
    shipment = Shipment.objects.filter(waybill_no=number).first()
    if shipment is None:
        logger.warning("delivery: EMS push for unknown waybill %s", number[:20])
        return PushAnswer(404, "unknown waybill")
    try:
        with transaction.atomic():
            TrackingNonce.objects.create(nonce=nonce)
    except IntegrityError:
        logger.warning("delivery: EMS push replayed (nonce %s)", nonce)
        return PushAnswer(409, "replayed")
    apply_tracking(shipment, events)
    return PushAnswer(200, "ok")


def poll_tracking(*, limit: int = 200, platform: ems.EmsPlatform | None = None) -> dict[str, int]:
    """Ask EMS for the events of parcels on the way that were not heard of for a while (pushes get lost)."""
    counts = {"asked": 0, "events": 0}
    before = timezone.now() - datetime.timedelta(seconds=settings.DELIVERY_TRACKING_POLL_SECONDS)
    on_the_way = Shipment.objects.exclude(status__in=[*FINAL_SHIPMENT_STATUSES, ShipmentStatus.CREATED]).filter(
        waybill_no__isnull=False
    )
    due = on_the_way.filter(checked_at__isnull=True) | on_the_way.filter(checked_at__lt=before)
    for shipment in due.order_by("checked_at")[:limit]:
        try:
            events = (platform or ems.EmsPlatform()).events(str(shipment.waybill_no))
        except (ems.TransportError, ems.Refused) as exc:
            logger.info("delivery: tracking of %s not available now: %s", shipment.waybill_no, exc)
            break
        Shipment.objects.filter(pk=shipment.pk).update(checked_at=timezone.now())
        counts["asked"] += 1
        counts["events"] += apply_tracking(shipment, events)
    return counts


# A courier pick-up of paper materials (上门收件) --------------------------------------------------------------

# While a case is being handled its paper materials (originals the unit must see) can be collected:
_PICKUP_CASE = {
    CaseStatus.SUBMITTED,
    CaseStatus.CORRECTION_REQUESTED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.COUNTERSIGNING,
    CaseStatus.SPECIAL_PROCEDURE,
}
PICKUP_DAYS_AHEAD = 10  # working days a pick-up can be booked ahead


def pickup_days(today: datetime.date | None = None) -> list[datetime.date]:
    """The working days a pick-up can be booked for: from the next working day, 10 working days on."""
    from govhall.holidays.queries import get_calendar

    calendar = get_calendar()
    first = calendar.add_working_days(today or timezone.localdate(), 1)
    return [calendar.add_working_days(first, n) for n in range(PICKUP_DAYS_AHEAD)]


@transaction.atomic
def book_pickup(case: Case, *, applicant: User, address: Address, on: str) -> Shipment:
    """The applicant asks EMS to collect the case's paper materials at her address on a working day.

    Where the item allows post (是否支持物流快递) and the case is being handled; one open pick-up
    at a time. The waybill is asked for from EMS after commit, like a result's.
    """
    case = Case.objects.select_for_update(of=("self",)).select_related("item_version").get(pk=case.pk)
    if case.applicant_id != applicant.pk:
        raise PermissionDenied(_("这不是您的办件。"))
    if not case.item_version.express_delivery:
        raise DeliveryRefused(_("这个事项不支持邮寄材料，请将纸质材料送到窗口。"), code="no_post")
    if case.status not in _PICKUP_CASE:
        raise DeliveryRefused(_("办件当前为“%(status)s”，不需要再寄送材料。") % {"status": case.get_status_display()},
                              code="not_now")  # fmt: skip
    problems: dict[str, str] = {}
    try:
        day = datetime.date.fromisoformat(on.strip())
    except ValueError:
        day = None
    if day not in pickup_days():
        problems["pickup_on"] = _("请选择今后 10 个工作日内的一天（节假日不上门）。")
    try:
        phone, region, code = _check_address(address)
    except ValidationError as error:
        problems.update({k: v[0] for k, v in error.message_dict.items()})
    if problems:
        raise ValidationError(problems)
    delivery = _locked_delivery(case)
    if delivery.shipments.filter(kind=ShipmentKind.MATERIALS).exclude(status__in=FINAL_SHIPMENT_STATUSES).exists():
        raise DeliveryRefused(_("已经预约了上门收取，请等快递员上门；如需改期，请联系承办窗口。"), code="booked")
    delivery.phone_encrypted, delivery.phone_masked = encrypt_text(phone), mask_phone(phone)
    delivery.save(update_fields=["phone_encrypted", "phone_masked", "updated_at"])
    attempt = (delivery.shipments.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
    shipment = Shipment.objects.create(
        delivery=delivery, kind=ShipmentKind.MATERIALS, pickup_on=day, attempt=attempt,
        order_id=f"{case.reference}-M{attempt}", recipient=address.recipient.strip(), region_code=code,
        address=f"{region}{address.address.strip()}", next_send_at=timezone.now(),
    )  # fmt: skip
    cases.record_event(case, EventKind.MATERIALS_PICKUP, actor=applicant, opinion=str(day),
                       data={"order_id": shipment.order_id, "pickup_on": str(day)})  # fmt: skip
    shipment_id = shipment.pk
    transaction.on_commit(lambda: _enqueue_send(shipment_id))
    return shipment


# The window -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Collector:
    """Who collects the result at the window, as the clerk checked them."""

    name: str
    id_number: str
    is_proxy: bool = False
    authorisation_checked: bool = False


def hand_over(pickup_code: str, collector: Collector, *, actor: User) -> Delivery:
    """Hand the result over at the window against its pick-up code and the collector's ID (or a proxy's).

    A wrong or used code is refused, logged and audited (outside the refused transaction).
    """
    code = pickup_code.strip()
    try:
        return _hand_over(code, collector, actor=actor)
    except _UnknownCode:
        logger.warning("delivery: pick-up code refused at the window (by %s)", actor.get_username())
        record("delivery.pickup_code_refused", actor, None, {"code_length": len(code)})
        raise ValidationError(
            {"pickup_code": _("取件码不正确，或这个结果已经领取。请核对申请人收到的 8 位取件码。")}
        ) from None


class _UnknownCode(Exception):
    pass


@transaction.atomic
def _hand_over(code: str, collector: Collector, *, actor: User) -> Delivery:
    units = departments_covered(actor, [Role.CLERK])
    waiting = Delivery.objects.filter(
        pickup_code=code, status=DeliveryStatus.AWAITING_COLLECTION, case__department_id__in=units
    )
    found = waiting.values_list("case_id", flat=True).first() if len(code) == 8 and code.isdigit() else None
    if found is None:
        raise _UnknownCode
    # Cases before deliveries, as everywhere in this app (a 一件事's cases all, in id order):
    joined = joined_with(found)
    _lock_cases(joined.case_ids if joined else (found,))
    delivery = waiting.select_for_update(of=("self",)).select_related("case__item_version", "case__person").first()
    if delivery is None:  # handed over meanwhile
        raise _UnknownCode
    problems: dict[str, str] = {}
    number = ""
    try:
        number = parse_resident_id(collector.id_number).number
    except ValidationError:
        problems["id_number"] = _("领取人的身份证号码不正确，请核对证件后重新输入。")
    if not 2 <= len(collector.name.strip()) <= 100:
        problems["name"] = _("请填写领取人姓名。")
    case = delivery.case
    if number and not collector.is_proxy:
        person = find_person_by_id_number(number)
        if case.person_id is None or person is None or person.pk != case.person_id:
            problems["id_number"] = _("领取人证件与申请人不一致。由他人代领的，请选择“委托代领”并核验授权委托书。")
    if collector.is_proxy and not collector.authorisation_checked:
        problems["authorisation_checked"] = _("委托代领须核验申请人签名的授权委托书原件。")
    if problems:
        raise ValidationError(problems)
    # A 一件事's other results waiting at this window's units are handed over with it (one delivery):
    handed = [(delivery, case)]
    if joined is not None:
        mates = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("case__item_version")
            .filter(
                case_id__in=joined.case_ids, status=DeliveryStatus.AWAITING_COLLECTION, case__department_id__in=units
            )
            .exclude(pk=delivery.pk)
            .order_by("case_id")
        )
        handed += [(mate, mate.case) for mate in mates]
    at = timezone.now()
    for item_delivery, item_case in handed:
        item_delivery.collector_name, item_delivery.collector_id_masked = collector.name.strip(), mask_id_number(number)
        item_delivery.collector_is_proxy, item_delivery.handed_over_by = collector.is_proxy, actor
        item_delivery.save(update_fields=["collector_name", "collector_id_masked", "collector_is_proxy",
                                          "handed_over_by", "updated_at"])  # fmt: skip
        locked = Case.objects.select_related("item_version").get(pk=item_case.pk)  # locked above
        _served(item_delivery, locked, how=Method.WINDOW, at=at, actor=actor,
                data={"collector": item_delivery.collector_id_masked, "proxy": collector.is_proxy})  # fmt: skip
    notify(
        case.applicant,
        _("办理结果已领取：%(item)s") % {"item": "、".join(item_case.item_version.name for _d, item_case in handed)},
        body=_(
            "办件 %(reference)s 的结果已于窗口交 %(who)s（证件 %(id)s）领取。如非您本人或您委托的人领取，请立即联系承办窗口。"
        )
        % {
            "reference": "、".join(item_case.reference or "" for _d, item_case in handed),
            "who": delivery.collector_name,
            "id": delivery.collector_id_masked,
        },  # fmt: skip
        link=f"/my/cases/{case.public_id}/#delivery",
    )
    return delivery


def remind_uncollected(*, today: datetime.date | None = None) -> int:
    """Remind once each applicant whose result has waited at the window for the configured days."""
    limit = timezone.now() - datetime.timedelta(days=settings.DELIVERY_PICKUP_REMINDER_DAYS)
    reminded = 0
    # Waiting at the window since before the limit (a 一件事's result made ready early waits at the
    # window only from when its last case ended; a row from before the field, since it was ready):
    waiting = list(
        Delivery.objects.filter(status=DeliveryStatus.AWAITING_COLLECTION, reminded_at__isnull=True)
        .filter(Q(awaiting_since__lt=limit) | Q(awaiting_since__isnull=True, ready_at__lt=limit))
        .select_related("case__item_version", "case__applicant")
        .order_by("case_id")[:500]
    )
    joined = joined_of(delivery.case_id for delivery in waiting)
    told: set[Any] = set()  # one reminder for a 一件事's results
    for delivery in waiting:
        with transaction.atomic():
            if not Delivery.objects.filter(pk=delivery.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                continue
            bundle = joined.get(delivery.case_id)
            if bundle is not None and bundle.filing in told:
                continue
            if bundle is not None:
                told.add(bundle.filing)
            case = delivery.case
            notify(
                case.applicant,
                _("请领取办理结果：%(item)s") % {"item": case.item_version.name},
                body=_(
                    "办件 %(reference)s 的结果已在窗口等候 %(days)s 天，请凭取件码 %(code)s 和身份证件领取；"
                    "也可以在“我的办件”中改为其他方式。"
                )
                % {
                    "reference": case.reference,
                    "days": settings.DELIVERY_PICKUP_REMINDER_DAYS,
                    "code": delivery.pickup_code,
                },  # fmt: skip
                link=f"/my/cases/{case.public_id}/#delivery",
            )
            reminded += 1
    return reminded


# Electronic -----------------------------------------------------------------------------------------------


def record_download(delivery: Delivery, *, applicant: User, what: str) -> bool:
    """The applicant downloads the decision letter or the licence; the first download of an electronic
    delivery is its time of service. Whether this one served it."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.method != Method.ELECTRONIC or delivery.status != DeliveryStatus.AVAILABLE:
            return False
        case = Case.objects.select_for_update(of=("self",)).get(pk=delivery.case_id)
        _served(delivery, case, how=Method.ELECTRONIC, at=timezone.now(), actor=applicant, data={"document": what})
        return True


# The upkeep -------------------------------------------------------------------------------------------------


def keep_deliveries() -> dict[str, int]:
    """One round: results made ready from the feed, waybills sent, tracking asked, reminders."""
    counts = {"prepared_events": consume_case_events()}
    counts.update(send_due_shipments())
    counts.update(poll_tracking())
    counts["reminded"] = remind_uncollected()
    return counts


def schedule_upkeep(*, delay_seconds: int | None = None) -> bool:
    from govhall.delivery.tasks import keep_deliveries as task

    delay = settings.DELIVERY_UPKEEP_SECONDS if delay_seconds is None else delay_seconds
    return queue_once(task, delay_seconds=delay)
