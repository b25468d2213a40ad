"""The stage's one history is its log (``StageTransition``): the project's audit history
stops recording the stage. Before its columns go, every stage change the audit history holds
and the log lacks is added to the log, with its time and user, so no move is lost."""

from collections import Counter

from django.db import migrations


def keep_stage_moves_of_the_audit_history(apps, schema_editor):
    HistoricalProject = apps.get_model("pme", "HistoricalProject")
    Project = apps.get_model("pme", "Project")
    StageTransition = apps.get_model("pme", "StageTransition")
    logged = Counter(
        StageTransition.objects.values_list("project_id", "from_stage", "to_stage").iterator()
    )
    existing = set(Project.objects.values_list("pk", flat=True).iterator())
    rows = (
        HistoricalProject.objects.order_by("id", "history_date", "history_id")
        .values_list("id", "dispositif_id", "stage", "history_date", "history_user_id")
        .iterator()
    )
    missing = []
    project_id, stage = None, ""
    for row_project_id, dispositif_id, row_stage, at, user_id in rows:
        if row_project_id != project_id:
            project_id, stage = row_project_id, ""
        if row_stage == stage:
            continue
        move = (project_id, stage, row_stage)
        if logged[move]:
            logged[move] -= 1
        elif project_id in existing:
            missing.append(
                StageTransition(
                    dispositif_id=dispositif_id,
                    project_id=project_id,
                    from_stage=stage,
                    to_stage=row_stage,
                    by_id=user_id,
                    at=at,
                    comment="",
                )
            )
        stage = row_stage
    StageTransition.objects.bulk_create(missing, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("pme", "0006_list_order_indexes"),
    ]

    operations = [
        # Going back re-adds the columns with their defaults; the log keeps every move.
        migrations.RunPython(keep_stage_moves_of_the_audit_history, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="historicalproject",
            name="stage",
        ),
        migrations.RemoveField(
            model_name="historicalproject",
            name="stage_changed_at",
        ),
    ]
