"""The ``unaccent`` extension, for sorting names in French order (``alize.sorting``)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("alize", "0008_signed_links")]

    operations = [UnaccentExtension()]
