from django.db import migrations


def seed(apps, schema_editor):
    from govhall.holidays.data import NOTICES

    Holiday = apps.get_model("holidays", "Holiday")
    CalendarYear = apps.get_model("holidays", "CalendarYear")
    for year, source, entries in NOTICES:
        if CalendarYear.objects.filter(year=year).exists():
            continue
        for name, days_off, workdays in entries:
            for day in days_off:
                Holiday.objects.update_or_create(date=day, defaults={"kind": "off", "name": name, "source": source})
            for day in workdays:
                Holiday.objects.update_or_create(
                    date=day, defaults={"kind": "workday", "name": f"{name}调休", "source": source}
                )
        CalendarYear.objects.create(year=year, source=source)


class Migration(migrations.Migration):
    dependencies = [("holidays", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
