"""A disclosure request's ID number kept encrypted and shown masked (it was kept in clear)."""

from django.db import migrations, models


def encrypt_numbers(apps, schema_editor):
    from govhall.lib.crypto import encrypt_text
    from govhall.lib.identifiers import mask_id_number

    DisclosureRequest = apps.get_model("publicinfo", "DisclosureRequest")
    for request in DisclosureRequest.objects.all().only("pk", "id_number", "applicant_kind"):
        number = request.id_number
        shown = number if request.applicant_kind == "organisation" else mask_id_number(number)
        DisclosureRequest.objects.filter(pk=request.pk).update(
            id_number_encrypted=encrypt_text(number), id_number_shown=shown
        )


class Migration(migrations.Migration):
    dependencies = [("publicinfo", "0006_rule_reviews")]

    operations = [
        migrations.AddField(
            model_name="disclosurerequest",
            name="id_number_encrypted",
            field=models.TextField(default="", verbose_name="证件号码（密文）"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="disclosurerequest",
            name="id_number_shown",
            field=models.CharField(default="", max_length=18, verbose_name="证件号码"),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_numbers, migrations.RunPython.noop),
        migrations.RemoveField(model_name="disclosurerequest", name="id_number"),
    ]
