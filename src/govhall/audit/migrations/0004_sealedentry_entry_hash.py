from django.db import migrations, models


def seal_waiting_entries(apps, schema_editor):
    # Entries waiting for their seal when per-entry hashes arrive get theirs now, so that an
    # unsealed entry without one always means a row put in by hand (audit.hashing.entry_hash,
    # written out here so that this migration keeps meaning what it meant):
    import datetime
    import hashlib
    import hmac
    import json

    from django.conf import settings

    key = settings.AUDIT_CHAIN_KEY.encode("utf-8")
    entries = apps.get_model("audit", "SealedEntry").objects.filter(sealed_by__isnull=True, entry_hash="")
    for entry in entries.iterator(chunk_size=2000):
        content = {
            "occurred_at": entry.occurred_at.astimezone(datetime.UTC).isoformat(),
            "event": entry.event,
            "outcome": entry.outcome,
            "actor_id": entry.actor_id,
            "actor_label": entry.actor_label,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "target_label": entry.target_label,
            "ip_address": entry.ip_address,
            "extra": entry.extra,
        }
        body = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        digest = hmac.new(key, b"sealed-entry\n" + body, hashlib.sha256).hexdigest()
        type(entry).objects.filter(pk=entry.pk).update(entry_hash=digest)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_sealed_entries")]

    operations = [
        migrations.AddField(
            model_name="sealedentry",
            name="entry_hash",
            field=models.CharField(blank=True, max_length=64, verbose_name="条目哈希"),
        ),
        migrations.RunPython(seal_waiting_entries, migrations.RunPython.noop),
    ]
