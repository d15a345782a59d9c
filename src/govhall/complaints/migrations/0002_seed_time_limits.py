"""Seed the complaint time limits (STANDARDS.md §10, local practice): urgent the same day,
consultation 2 working days, complaints 10 working days."""

from typing import Any

from django.db import migrations

LIMITS = [
    ("urgent", 0, "紧急投诉当日办结"),
    ("consultation", 2, "咨询2个工作日内答复"),
    ("inaction", 10, ""),
    ("misconduct", 10, ""),
    ("slowness", 10, ""),
    ("attitude", 10, ""),
    ("other", 10, ""),
]


def seed(apps: Any, schema_editor: Any) -> None:
    ComplaintTimeLimit = apps.get_model("complaints", "ComplaintTimeLimit")
    for key, days, note in LIMITS:
        ComplaintTimeLimit.objects.get_or_create(key=key, defaults={"working_days": days, "note": note})


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
