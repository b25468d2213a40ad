"""Trigram indexes on the searched columns (alize.search)."""

import alize.search
import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("alize", "0010_search_text"),
        ("partners", "0009_skill_english_names"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="expert",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    alize.search.SearchText("first_name"), name="gin_trgm_ops"
                ),
                name="expert_first_name_search",
            ),
        ),
        migrations.AddIndex(
            model_name="expert",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    alize.search.SearchText("last_name"), name="gin_trgm_ops"
                ),
                name="expert_last_name_search",
            ),
        ),
        migrations.AddIndex(
            model_name="expert",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    alize.search.SearchText("job_title"), name="gin_trgm_ops"
                ),
                name="expert_job_title_search",
            ),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    alize.search.SearchText("name"), name="gin_trgm_ops"
                ),
                name="organisation_name_search",
            ),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    alize.search.SearchText("siren"), name="gin_trgm_ops"
                ),
                name="organisation_siren_search",
            ),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    alize.search.SearchText("city"), name="gin_trgm_ops"
                ),
                name="organisation_city_search",
            ),
        ),
    ]
