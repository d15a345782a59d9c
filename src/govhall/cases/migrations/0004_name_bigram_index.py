"""Find cases by a fragment of the applicant's name among a million (PostgreSQL only).

Chinese names are two or three characters, too short for trigrams, so the index keeps the
distinct two-character pieces of each name (upper-cased) in a GIN index; a search asks for
the cases whose pieces contain all of the term's, then checks them with LIKE
(cases.queries._search_filter). SQLite, for one machine's data, scans instead.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION cases_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(n.u, i, 2)), '{}')
  FROM (SELECT upper(coalesce(name, '')) AS u) AS n, generate_series(1, length(n.u) - 1) AS i
$$
"""
INDEX = "CREATE INDEX IF NOT EXISTS cases_name_bigrams ON cases_case USING gin (cases_name_bigrams(applicant_name))"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cases_name_bigrams")
        schema_editor.execute("DROP FUNCTION IF EXISTS cases_name_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_material_licence")]

    operations = [migrations.RunPython(forwards, backwards)]
