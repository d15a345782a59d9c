"""The bad-rating reasons a rater chooses from (editable in the admin afterwards)."""

from typing import Any

from django.db import migrations

# (code, text, English): the common reasons of the 好差评 systems (GB/T 39734-2020 practice):
REASONS = [
    ("slow", "办理时间长、效率低", "It took too long"),
    ("many_visits", "跑动次数多", "Too many visits needed"),
    ("many_materials", "要求提交的材料多、重复提交", "Too many or repeated materials asked for"),
    ("unclear_guide", "办事指南不清楚、与实际不符", "The guide was unclear or wrong"),
    ("attitude", "工作人员态度差", "Staff were unhelpful or rude"),
    ("no_one_time_notice", "未一次性告知补正内容", "Corrections were not asked for all at once"),
    ("system", "网上办理系统不好用", "The online system was hard to use"),
    ("not_handled", "诉求未解决", "My request was not resolved"),
    ("other", "其他", "Other"),
]


def add_reasons(apps: Any, schema_editor: Any) -> None:
    reason = apps.get_model("ratings", "BadRatingReason")
    for order, (code, text, english) in enumerate(REASONS, start=1):
        reason.objects.get_or_create(code=code, defaults={"text": text, "text_en": english, "sort_order": order * 10})


def remove_reasons(apps: Any, schema_editor: Any) -> None:
    apps.get_model("ratings", "BadRatingReason").objects.filter(code__in=[code for code, *_texts in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("ratings", "0001_initial")]

    operations = [migrations.RunPython(add_reasons, remove_reasons)]
