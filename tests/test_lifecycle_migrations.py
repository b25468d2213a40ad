"""The lifecycle migrations keep every move: transition rows written in the shape they had
before (projects, missions, advances) are all still there afterwards, with the same from,
to, who, when and why, and a stage change only the audit history knew joins the stage log."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alize.row_security import as_owner, secure_tenant_tables
from loans.models import AdvanceTransition
from missions.models import MissionTransition
from pme.models import StageTransition
from tests.conftest import grant_truncate
from tests.factories import project_at
from tests.loans.builders import advance_at, make_fund
from tests.missions.conftest import world_mission

# The last migration of each app before the lifecycle ones.
BEFORE = [
    ("pme", "0006_list_order_indexes"),
    ("missions", "0003_mission_date_bounds"),
    ("loans", "0007_cofinancing_submission_key"),
    ("committees", "0004_decision_correction"),
]
AT = dt.datetime(2025, 3, 4, 10, 30, 15, 123456, tzinfo=dt.UTC)
# Each log: its model, the foreign key of the row that moves, and its from, to and reason.
LOGS = {
    "StageTransition": ("pme", "project_id", "from_stage", "to_stage", "comment"),
    "MissionTransition": ("missions", "mission_id", "from_status", "to_status", "reason"),
    "AdvanceTransition": ("loans", "advance_id", "from_status", "to_status", "comment"),
}
CURRENT = {
    "StageTransition": StageTransition,
    "MissionTransition": MissionTransition,
    "AdvanceTransition": AdvanceTransition,
}


def migrate(targets):
    """Migrate the test database to ``targets``; returns the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def rows(model, app_log):
    """Every log row as (id, moving row, from, to, by, at, reason)."""
    _app, subject, from_field, to_field, reason = app_log
    return set(
        model._base_manager.values_list("id", subject, from_field, to_field, "by_id", "at", reason)
    )


@pytest.mark.django_db(transaction=True)
def test_transition_rows_survive_the_lifecycle_migrations(world):
    project = project_at("qualified", dispositif=world.a)
    mission = world_mission(world, world.a, status="proposed")
    advance = advance_at("approved", make_fund(world.a))
    by = world.animateur_a
    # Migrations run as the owner of the tables, as `manage.py migrate` does.
    with as_owner():
        try:
            old = migrate(BEFORE)
            subjects = {"pme": project, "missions": mission, "loans": advance}
            values = {
                "StageTransition": ("qualified", "abandoned", "Le dirigeant a cédé l'entreprise."),
                "MissionTransition": ("proposed", "declined", "Aucun expert libre ce trimestre."),
                "AdvanceTransition": ("approved", "contracted", "Contrat signé en agence."),
            }
            for name, (app, subject, from_field, to_field, reason) in LOGS.items():
                model = old.get_model(app, name)
                from_state, to_state, why = values[name]
                row = model._base_manager.create(
                    dispositif_id=world.a.pk,
                    **{
                        subject: subjects[app].pk,
                        from_field: from_state,
                        to_field: to_state,
                        reason: why,
                    },
                    by_id=by.pk,
                )
                # The missions' log stamped its time itself (auto_now_add): set it afterwards.
                model._base_manager.filter(pk=row.pk).update(at=AT)
            before = {name: rows(old.get_model(log[0], name), log) for name, log in LOGS.items()}
            # The audit history held the stage too: a move that only it knows.
            history = old.get_model("pme", "HistoricalProject")._base_manager
            moved = history.filter(id=project.pk).latest("history_date", "history_id")
            moved_at = moved.history_date + dt.timedelta(minutes=1)
            moved.history_id = None
            moved.stage, moved.history_date, moved.history_user_id = (
                "in_instruction",
                moved_at,
                by.pk,
            )
            moved.save(force_insert=True)

            migrate(latest())

            after = {name: rows(CURRENT[name], log) for name, log in LOGS.items()}
            for name in LOGS:
                assert before[name] <= after[name], name
                assert len(before[name]) >= 2, name  # the services' rows and the one added here
            assert after["MissionTransition"] == before["MissionTransition"]
            assert after["AdvanceTransition"] == before["AdvanceTransition"]
            (added,) = after["StageTransition"] - before["StageTransition"]
            assert added[1:] == (project.pk, "referred", "in_instruction", by.pk, moved_at, "")
            assert "stage" not in {field.name for field in project.history.model._meta.get_fields()}
        finally:
            migrate(latest())
            # What `manage.py migrate` does next: the application role's grants and the
            # row-level security of the tables the migrations made again.
            secure_tenant_tables()
            grant_truncate()
