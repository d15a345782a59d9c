"""The retention classes (保管期限) of DA/T 22 as data: 永久, 30 年, 10 年."""

from django.db import migrations

CLASSES = [("Y", "永久", None), ("D30", "30年", 30), ("D10", "10年", 10)]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    RetentionClass = apps.get_model("archives", "RetentionClass")
    for code, name, years in CLASSES:
        RetentionClass.objects.get_or_create(code=code, defaults={"name": name, "years": years})


class Migration(migrations.Migration):
    dependencies = [("archives", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
