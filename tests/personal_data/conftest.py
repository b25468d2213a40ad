"""Helpers of the personal data tests: where a string survives in the database, looked for
in every text column of every table, found from the database itself (not from the models
or the code under test), history tables, outbox and admin log included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from psycopg import sql

from alize.accounts.models import User
from alize.models import IdempotencyRecord, Job, JobFailure, SentMail
from alize.tenancy import scope
from missions.models import HourLog
from tests.clock import NOW, TODAY
from tests.factories import SkillFactory
from tests.loans.builders import advance_at, make_fund
from tests.missions.conftest import approved_decision, log, make_expert, running_mission
from tests.reporting.conftest import make_sitting

# PostgreSQL type oids of text: text, char, varchar, json, jsonb.
TEXT_TYPES = {25, 1042, 1043, 114, 3802}


def traces(*needles: str) -> list[str]:
    """``table.column: needle`` for every text column of every table holding a needle
    (case-insensitive)."""
    found = []
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.get_table_list(cursor):
            if table.type != "t":
                continue
            for column in introspection.get_table_description(cursor, table.name):
                if column.type_code not in TEXT_TYPES:
                    continue
                for needle in needles:
                    cursor.execute(
                        sql.SQL("SELECT count(*) FROM {} WHERE {}::text ILIKE %s").format(
                            sql.Identifier(table.name), sql.Identifier(column.name)
                        ),
                        [f"%{needle}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table.name}.{column.name}: {needle}")
    return found


def plant_outbox_and_logs(*, name: str, email: str, by, dispositif) -> None:
    """The places outside the domain's tables that name a person: a sent mail, a job's
    payload, a failure's message, an idempotency key and the admin's log."""
    SentMail.objects.create(
        key=f"tests:mail:{email}",
        recipient=email,
        template="missions/proposal",
        language="fr",
        subject=f"Mission proposée à {name}",
    )
    Job.objects.create(task_name="tests.task", kwargs={"to": email, "name": name})
    JobFailure.objects.create(task_name="tests.task", error=f"SMTP refused {email}")
    LogEntry.objects.create(
        user=by,
        content_type=ContentType.objects.get_for_model(User),
        object_id="1",
        object_repr=name,
        action_flag=CHANGE,
        change_message=f"Changed {name}",
        action_time=NOW,
    )
    with scope([dispositif]):
        IdempotencyRecord.objects.create(
            dispositif=dispositif, operation="tests", key=f"import {email}", fingerprint="0" * 64
        )


EXPERT_NAME = "Ermengarde Quillebeuf"
EXPERT_EMAIL = "e.quillebeuf@grande-entreprise.test"
EXPERT_PHONE = "06 12 34 56 78"


@pytest.fixture
def expert_world(world):
    """A's firm lends Ermengarde Quillebeuf (with an account) to a mission with hours,
    beside a committee and an advance; her name is in a mission's objective, an hour's note,
    the outbox, a job, a failure, an idempotency key and the admin's log."""
    make_sitting(world.a)
    account = world.expert_a
    account.full_name, account.email = EXPERT_NAME, EXPERT_EMAIL
    account.save()
    expert = make_expert(
        world.firm_a,
        user=account,
        first_name="Ermengarde",
        last_name="Quillebeuf",
        email=EXPERT_EMAIL,
        phone=EXPERT_PHONE,
    )
    mission = running_mission(
        approved_decision(world.a),
        world.firm_a,
        SkillFactory(name="Qualité effacement", slug="qualite-effacement"),
        animateur=world.animateur_a,
        correspondent=world.correspondent_a,
        experts=[expert],
        objective=f"Plan qualité avec {EXPERT_NAME} (joignable au {EXPERT_PHONE}).",
    )
    log(mission, expert, TODAY, "7.5")
    noted = log(mission, expert, TODAY - dt.timedelta(days=1), "3")
    with scope(every_dispositif=True, reason="test setup"):
        HourLog.objects.filter(pk=noted.pk).update(note=f"Atelier animé par {EXPERT_NAME}")
    advance_at("disbursed", make_fund(world.a))
    plant_outbox_and_logs(
        name=EXPERT_NAME, email=EXPERT_EMAIL, by=world.coordinator, dispositif=world.a
    )
    return expert
