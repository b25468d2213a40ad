"""Skills get an English name; the national vocabulary's are filled in (a name the
coordination already typed is kept)."""

from django.db import migrations, models

# Kept as literals: a migration must not change when the code's list does.
NATIONAL_SKILLS_EN = {
    "finance": "Finance and management",
    "marketing": "Marketing and sales",
    "export": "Export and international trade",
    "rh-recrutement": "Human resources and recruitment",
    "qualite": "Quality",
    "lean-production": "Lean and production management",
    "informatique": "IT and digital",
    "juridique": "Legal",
    "achats": "Purchasing and logistics",
    "energie": "Energy efficiency",
    "strategie": "Strategy",
}


def forwards(apps, schema_editor):
    Skill = apps.get_model("partners", "Skill")
    for slug, name_en in NATIONAL_SKILLS_EN.items():
        Skill.objects.filter(slug=slug, name_en="").update(name_en=name_en)


class Migration(migrations.Migration):
    dependencies = [("partners", "0008_organisation_address")]

    operations = [
        migrations.AddField(
            model_name="skill",
            name="name_en",
            field=models.CharField(blank=True, max_length=120, verbose_name="nom en anglais"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
