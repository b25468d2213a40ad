"""Load the shipped communes (COG + La Poste) and NAF rev. 2 files; see partners/reference."""

from django.db import migrations

from partners.reference import loader


def load(apps, schema_editor):
    connection = schema_editor.connection
    loader.load_communes(connection, "partners_commune", loader.read_communes_file())
    loader.load_naf(connection, "partners_nafcode", loader.read_naf_file())


def unload(apps, schema_editor):
    apps.get_model("partners", "Commune").objects.all().delete()
    apps.get_model("partners", "NafCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0003_commune_nafcode")]

    operations = [migrations.RunPython(load, unload)]
