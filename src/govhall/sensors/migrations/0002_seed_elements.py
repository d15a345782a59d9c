"""Seed the measured elements, named by their SL 651-2014 identifiers, with their units and the
physically possible range (a value outside is kept and flagged). Editable in the admin.

``WU`` (an intake meter's volume in the reporting period) is a local extension: SL 651 has no
element for it (SL 427 covers water-resource metering); change the code here if the bureau's
meters send another.
"""

from typing import Any

from django.db import migrations

from govhall.sensors.constants import ELEMENTS


def seed(apps: Any, schema_editor: Any) -> None:
    Element = apps.get_model("sensors", "Element")
    for order, (code, name, unit, kind, low, high) in enumerate(ELEMENTS):
        Element.objects.get_or_create(
            code=code,
            defaults={"name": name, "unit": unit, "kind": kind, "minimum": low, "maximum": high, "sort_order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("sensors", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
