"""Demo renewal rules: 取水许可 holders hear 45 days ahead (the others keep 30/15/7)."""

from __future__ import annotations

from django.conf import settings

from govhall.licences.models import LicenceType
from govhall.proactive.models import RenewalRule


def load_renewal_demo() -> int:
    water = LicenceType.objects.filter(code=settings.BUREAU_CREDIT_CODE + "002").first()
    if water is None:
        return 0
    RenewalRule.objects.update_or_create(licence_type=water, defaults={"reminder_days": [45, 30, 15, 7]})
    return 1


# 免申即享 policies of the forestry unit: (name, what is given, basis, source, narrowing). The source is a
# licence type held (by the start of its name) or an item whose case was closed with approval (its name):
ENTITLEMENTS = [
    (
        "生态公益林损失补偿（免申即享）",
        "区级生态公益林补偿资金按林权证登记面积直接拨付到林权人账户。",
        "《福建省生态公益林条例》第二十四条",
        {"licence": "林权证"},
        {},
    ),
    (
        "采伐迹地更新造林补助（免申即享）",
        "林木采伐后按期完成迹地更新造林的，按采伐许可面积给予造林苗木补助，直接拨付到采伐人账户。",
        "《中华人民共和国森林法》（采伐迹地更新造林）；区级造林补助资金管理规定",
        {"case_item": "林木采伐许可证核发"},
        {},
    ),
    (
        "新型林业经营主体培育补助（免申即享）",
        "在海沧区登记、持有有效营业执照的农民专业合作社，每年一次性获得林业生产经营补助。",
        "区级新型林业经营主体培育扶持规定",
        {"licence": "营业执照"},
        {"subject_kind": "entity", "entity_kinds": ["cooperative"], "region_prefix": "350205"},
    ),
]


def load_entitlement_demo() -> int:
    """Three 免申即享 policies of the forestry unit (safe to run again): by a licence, by a case, by the subject.

    生态公益林损失补偿 for holders of a forest-right certificate; 采伐迹地更新造林补助 for whoever had
    a felling licence application approved and closed; 新型林业经营主体培育补助 for the farmers'
    cooperatives registered in Haicang (holding a business licence). Returns how many exist.
    """
    from govhall.catalog.queries import live_versions
    from govhall.identity.models import Department
    from govhall.proactive.models import Entitlement

    forestry = Department.objects.filter(code="forestry").first()
    if forestry is None:
        return 0
    items = {v.name: v.item_id for v in live_versions()}
    made = 0
    for name, description, basis, source, narrowing in ENTITLEMENTS:
        found: dict[str, object] = {}
        if "licence" in source:
            found["licence_type"] = LicenceType.objects.filter(name__startswith=source["licence"]).first()
        if "case_item" in source:
            found["case_item_id"] = items.get(source["case_item"])
        if not all(found.values()):
            continue  # the demo catalog or licence types without it
        Entitlement.objects.get_or_create(
            name=name,
            defaults={"description": description, "legal_basis": basis, "department": forestry, **found, **narrowing},
        )
        made += 1
    return made


# Season and place triggers of suggestions (推荐办理): (item name, reason, start, end, region prefix):
SUGGESTION_RULES = [
    ("防汛抗旱信息查询", "汛期（4月15日至10月15日）：出行和生产前查询水雨情与预警。", (4, 15), (10, 15), ""),
    ("农机购置补贴申领", "春耕时节（3月至5月）：购置农机具后可申领购置补贴。", (3, 1), (5, 31), ""),
    ("渔业捕捞许可证核发", "海沧区：伏季休渔期（5月1日至8月16日）结束前办好捕捞许可。", (5, 1), (8, 16), "350205"),
    ("林木采伐许可证核发", "冬季采伐季（11月至次年3月）：采伐林木前须先取得采伐许可证。", (11, 1), (3, 31), ""),
    ("取水许可", "冬春枯水期（11月至次年4月）：取用地表水、地下水前请确认已持有有效的取水许可。", (11, 1), (4, 30), ""),
]


def load_suggestions_demo() -> int:
    """The demo bureau's season and place triggers (safe to run again)."""
    from govhall.catalog.queries import live_versions
    from govhall.proactive.models import SuggestionRule

    items = {v.name: v.item_id for v in live_versions()}
    made = 0
    for name, reason, (start_month, start_day), (end_month, end_day), region in SUGGESTION_RULES:
        if name in items:
            SuggestionRule.objects.update_or_create(
                item_id=items[name], reason=reason,
                defaults={"start_month": start_month, "start_day": start_day, "end_month": end_month,
                          "end_day": end_day, "region_prefix": region},
            )  # fmt: skip
            made += 1
    return made


BUNDLES = [
    (
        "forest-land-project",
        "林地上建设项目一件事",
        "在林地上建设施工场地并需要采伐林木的：临时使用林地审批、林木采伐许可和水土保持方案一并申请，"
        "林业科、水利科同时办理；林权证、营业执照只交一次。",
        ["临时使用林地审批", "林木采伐许可证核发", "生产建设项目水土保持方案审批"],
    ),
    (
        "small-water-works",
        "新建小型水利工程一件事",
        "新建小型水利工程的取水、水土保持和河道内建设方案一并申请：项目名称、联系电话只填一次，营业执照只交一次。",
        ["取水许可", "生产建设项目水土保持方案审批", "河道管理范围内建设项目工程建设方案审批"],
    ),
    (
        "fish-hatchery",
        "新建水产苗种场一件事",
        "新建水产苗种场、需要取用地表水或地下水育苗的：水产苗种生产许可和取水许可一并申请，"
        "渔业科、水利科同时办理；营业执照只交一次。",
        ["水产苗种生产许可证核发", "取水许可"],
    ),
]


def load_bundle_demo() -> int:
    """Three 一件事 bundles of this bureau's items, two of them across units (safe to run again)."""
    from govhall.catalog.queries import live_versions
    from govhall.proactive.models import Bundle, BundleItem

    items = {v.name: v.item_id for v in live_versions()}
    made = 0
    for code, name, description, names in BUNDLES:
        if not all(n in items for n in names):
            continue
        bundle, _created = Bundle.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        for order, item_name in enumerate(names, start=1):
            BundleItem.objects.update_or_create(bundle=bundle, item_id=items[item_name], defaults={"order": order})
        made += 1
    return made
