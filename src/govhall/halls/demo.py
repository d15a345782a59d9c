"""The demo hall: the district centre's agriculture, forestry and water area and a street station."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from govhall.catalog.models import ServiceItem
from govhall.halls import actions
from govhall.halls.constants import DeviceKind, HallKind, WindowKind
from govhall.halls.models import Consultation, Hall, HallDevice, Queue, Window
from govhall.identity.models import Department

QUEUES: list[tuple[str, str, str | tuple[str, ...] | None, bool]] = [
    ("A", "林业业务", "forestry", False),
    ("B", "水利业务", "water", False),
    ("C", "农业与渔业业务", ("agriculture", "fisheries"), False),
    ("D", "领取办理结果", None, True),
]


def _items_of(codes: str | tuple[str, ...] | None) -> list[ServiceItem]:
    if codes is None:
        return []
    codes = (codes,) if isinstance(codes, str) else codes
    return list(ServiceItem.objects.filter(department__code__in=codes))


def load_halls_demo() -> tuple[int, Path | None]:
    """Make the demo halls (idempotent); register a board and a kiosk once and keep their keys in var/."""
    desk = Department.objects.filter(code="service-hall").first() or Department.objects.filter(code="bureau").first()
    if desk is None:
        return 0, None
    hall, _created = Hall.objects.get_or_create(
        code="haicang",
        defaults={
            "name": "海沧区行政服务中心（农林水窗口）",
            "kind": HallKind.DISTRICT,
            "department": desk,
            "address": "厦门市海沧区海沧大道 1 号行政服务中心 2 楼",
            "phone": "0592-6050001",
            "notice": "防汛期间，涉水工程许可优先办理；65 岁以上老人凭身份证优先叫号。",
        },
    )
    queues = {}
    for order, (prefix, name, departments, is_pickup) in enumerate(QUEUES, start=1):
        queue, _ = Queue.objects.get_or_create(
            hall=hall, prefix=prefix, defaults={"name": name, "is_pickup": is_pickup, "sort_order": order}
        )
        queue.items.add(*_items_of(departments))
        queues[prefix] = queue
    for number, kind, served in [
        (1, WindowKind.GENERAL, ""),
        (2, WindowKind.GENERAL, ""),
        (3, WindowKind.SPECIALISED, "A"),
        (4, WindowKind.SPECIALISED, "B"),
        (9, WindowKind.PICKUP, "D"),
    ]:
        window, _ = Window.objects.get_or_create(hall=hall, number=number, defaults={"kind": kind})
        if served:
            window.queues.add(queues[served])
    station, _ = Hall.objects.get_or_create(
        code="dongfu",
        defaults={
            "name": "东孚街道便民服务中心",
            "kind": HallKind.STREET,
            "department": desk,
            "address": "厦门市海沧区东孚街道东孚大道 2 号",
        },
    )
    all_items, _ = Queue.objects.get_or_create(hall=station, prefix="A", defaults={"name": "农林水业务"})
    all_items.items.add(*_items_of(("forestry", "water", "agriculture", "fisheries")))
    Window.objects.get_or_create(hall=station, number=1, defaults={"kind": WindowKind.GENERAL})
    _demo_consultation(hall)
    keys_file = None
    if not HallDevice.objects.filter(hall=hall).exists():
        lines = []
        for device_kind, name in [(DeviceKind.BOARD, "大厅叫号屏"), (DeviceKind.KIOSK, "一号自助机")]:
            device, key = actions.register_device(hall, kind=device_kind, name=name, actor="manage.py load_demo")
            lines.append(f"{device.get_kind_display()}\t{name}\t{key}")
        keys_file = Path(settings.VAR_DIR) / "hall-devices.txt"
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        keys_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        keys_file.chmod(0o600)
    return Hall.objects.count(), keys_file


def _demo_consultation(hall: Hall) -> None:
    """A question answered at the window that the clerk proposed for the item's FAQ (on the editors' desk)."""
    from govhall.identity.models import User

    clerk = User.objects.filter(username="hank").first()
    item = ServiceItem.objects.filter(department__code="forestry").order_by("implementation_code").first()
    if clerk is None or item is None or Consultation.objects.filter(hall=hall).exists():
        return
    Consultation.objects.create(
        hall=hall, item=item, clerk=clerk, is_faq_candidate=True,
        question="采伐后多久要完成更新造林？没有按时完成会怎样？",
        answer="应当在采伐的当年或者次年内完成更新造林；未按规定完成的，由林业主管部门责令限期完成，并可能影响以后的采伐许可。",
    )  # fmt: skip
