"""The national skills vocabulary and the national default rate of expert hours."""

from decimal import Decimal

from django.db import migrations

# Kept as literals: a migration must not change when the code's list does.
NATIONAL_SKILLS = [
    ("finance", "Finance et gestion"),
    ("marketing", "Marketing et action commerciale"),
    ("export", "Export et international"),
    ("rh-recrutement", "Ressources humaines et recrutement"),
    ("qualite", "Qualité"),
    ("lean-production", "Lean et organisation de la production"),
    ("informatique", "Informatique et numérique"),
    ("juridique", "Juridique"),
    ("achats", "Achats et logistique"),
    ("energie", "Efficacité énergétique"),
    ("strategie", "Stratégie"),
]
# The national default: 80 € an hour, until the coordination sets another in the admin.
NATIONAL_HOURLY_RATE = Decimal("80.00")


def forwards(apps, schema_editor):
    Skill = apps.get_model("partners", "Skill")
    ExpertRate = apps.get_model("partners", "ExpertRate")
    for slug, name in NATIONAL_SKILLS:
        # A skill already present (by slug or by name) keeps its row and its edits.
        if not Skill.objects.filter(slug=slug).exists() and not Skill.objects.filter(
            name=name
        ).exists():
            Skill.objects.create(slug=slug, name=name)
    if not ExpertRate.objects.filter(organisation__isnull=True).exists():
        ExpertRate.objects.create(organisation=None, unit="hourly", amount=NATIONAL_HOURLY_RATE)


class Migration(migrations.Migration):
    dependencies = [("partners", "0006_expert_expertrate")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
