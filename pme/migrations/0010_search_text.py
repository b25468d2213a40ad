"""The stored search columns of companies and projects and their trigram indexes
(alize.search): the index's operator class is chosen when the migration runs
(``alize_trgm_ops`` where migration alize.0011 could create it), so it is built here rather
than declared on the models."""

import django.db.models.functions.text
from django.db import migrations, models

import alize.search

INDEXES = (
    ("pme_company", "company_search_text"),
    ("pme_project", "project_search_text"),
)


def create_indexes(apps, schema_editor):
    for table, name in INDEXES:
        alize.search.create_search_text_index(schema_editor, table, "search_text", name)


def drop_indexes(apps, schema_editor):
    for _table, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("alize", "0011_search_operator"),
        ("pme", "0009_follow_up_declarations_and_turnover"),
    ]

    operations = [
        migrations.AddField(
            model_name="company",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=alize.search.SearchText(
                    django.db.models.functions.text.Concat(
                        models.F("name"),
                        models.Value(" "),
                        models.F("siren"),
                        models.Value(" "),
                        models.F("siret"),
                        models.Value(" "),
                        models.F("commune_name"),
                        models.Value(" "),
                        models.F("contact_name"),
                        output_field=models.TextField(),
                    )
                ),
                output_field=alize.search.SearchTextField(),
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=alize.search.SearchText(
                    django.db.models.functions.text.Concat(
                        models.F("title"),
                        models.Value(" "),
                        models.F("description"),
                        output_field=models.TextField(),
                    )
                ),
                output_field=alize.search.SearchTextField(),
            ),
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
