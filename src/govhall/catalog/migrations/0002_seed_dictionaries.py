from django.db import migrations

# The national code lists of STANDARDS.md §1, as editable reference data:
ENTRIES = {
    "item_type": [
        ("01", "行政许可", "Administrative licensing"),
        ("02", "行政处罚", "Administrative penalty"),
        ("03", "行政强制", "Administrative enforcement"),
        ("04", "行政征收", "Administrative levy"),
        ("05", "行政给付", "Administrative payment"),
        ("06", "行政检查", "Administrative inspection"),
        ("07", "行政确认", "Administrative confirmation"),
        ("08", "行政奖励", "Administrative reward"),
        ("09", "行政裁决", "Administrative adjudication"),
        ("10", "其他行政权力", "Other administrative power"),
        ("20", "公共服务", "Public service"),
    ],
    "service_target": [
        ("1", "自然人", "Natural person"),
        ("2", "企业法人", "Enterprise"),
        ("3", "事业法人", "Public institution"),
        ("4", "社会组织法人", "Social organisation"),
        ("5", "非法人企业", "Non-legal-person enterprise"),
        ("6", "行政机关", "Government body"),
        ("9", "其他组织", "Other"),
    ],
    "handling_form": [("1", "窗口办理", "At the counter"), ("2", "网上办理", "Online"), ("3", "快递申请", "By post")],
    "online_depth": [
        ("1", "互联网咨询", "Consultation online"),
        ("2", "互联网收件", "Application received online"),
        ("3", "互联网预审", "Pre-review online"),
        ("4", "互联网受理", "Accepted online"),
        ("5", "互联网办理", "Handled online"),
        ("6", "互联网办理结果信息反馈", "Result information online"),
        ("7", "电子证照反馈", "Electronic licence"),
        ("8", "其他", "Other"),
    ],
    "exercise_level": [
        ("1", "国家级", "National"),
        ("2", "省级", "Provincial"),
        ("3", "市级", "Municipal"),
        ("4", "县级", "County or district"),
        ("5", "乡镇级", "Township"),
    ],
    "result_type": [("1", "证照", "Licence"), ("2", "批文", "Approval document"), ("3", "其他", "Other")],
    "handle_area": [("1", "全国", "Nationwide"), ("2", "全省", "Province"), ("3", "全市", "City"), ("4", "全县（区）", "District")],
}


def seed(apps, schema_editor):
    Dictionary = apps.get_model("catalog", "Dictionary")
    for kind, rows in ENTRIES.items():
        for order, (code, name, name_en) in enumerate(rows):
            Dictionary.objects.update_or_create(
                kind=kind, code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
