"""Reproducible national-scale data, bulk-inserted with PostgreSQL COPY into the bench database.

Seeding is a registry of steps run in order (``@seed_step``); missions and loans add their own
steps (hour logs, advances) later. Every step draws from one random generator with a fixed
seed and dates relative to a fixed reference day, so the same scale gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
from django.apps import apps
from psycopg import sql

SEED = 20260101
SEED_VERSION = 1
REFERENCE_DAY = dt.date(2026, 6, 30)
PASSWORD = "alize-bench"  # noqa: S105


@dataclass(frozen=True)
class Scale:
    """How many rows the data set holds."""

    name: str
    dispositifs: int
    companies: int
    projects: int
    organisations: int = 120
    experts_per_firm: int = 60
    hour_logs: int = 1_000_000
    advances: int = 10_000


SCALES = {
    "national": Scale("national", dispositifs=60, companies=20_000, projects=30_000),
    "tiny": Scale(
        "tiny",
        dispositifs=4,
        companies=120,
        projects=180,
        organisations=12,
        experts_per_firm=6,
        hour_logs=3_000,
        advances=60,
    ),
}


@dataclass
class SeedContext:
    """What the steps share: the connection, the generator and the ids they created."""

    conn: psycopg.Connection
    scale: Scale
    rng: random.Random
    ids: dict[str, list] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedStep:
    name: str
    version: int
    run: Callable[[SeedContext], None]


STEPS: list[SeedStep] = []
# Modules of the higher layers' steps (they import this one): loaded by name when the steps
# are needed, after the pipeline's steps of this module, in layer order.
STEP_MODULES = ("bench.loans_seed",)


def steps() -> list[SeedStep]:
    """Every registered step, the higher layers' modules loaded first."""
    for module in STEP_MODULES:
        importlib.import_module(module)
    return STEPS


def seed_step(name: str, version: int = 1):
    """Register a seeding step; steps run in registration order (lower layers first)."""

    def register(function):
        STEPS.append(SeedStep(name, version, function))
        return function

    return register


def fingerprint(scale: Scale) -> str:
    """Identifies the data set: seed, scale, steps and the project's migrations."""
    root = Path(__file__).resolve().parent.parent
    migrations = sorted(
        str(path.relative_to(root)) for path in root.glob("*/migrations/0*.py")
    ) + sorted(str(path.relative_to(root)) for path in root.glob("alize/*/migrations/0*.py"))
    payload = {
        "seed": SEED,
        "version": SEED_VERSION,
        "reference_day": REFERENCE_DAY.isoformat(),
        "scale": scale.__dict__,
        "steps": [(step.name, step.version) for step in steps()],
        "migrations": migrations,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def copy_rows(ctx: SeedContext, model_label: str, rows: list[dict]) -> None:
    """COPY ``rows`` (dicts keyed by column) into the model's table; absent columns take the
    field's default, so every NOT NULL column is written (a generated column, such as a
    stored search column, is PostgreSQL's to compute)."""
    model = apps.get_model(model_label)
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    columns = [f.column for f in fields]
    defaults = {f.column: (f.get_default() if not f.null else None) for f in fields}
    copy_plain(
        ctx,
        model._meta.db_table,
        columns,
        ([row[c] if c in row else defaults[c] for c in columns] for row in rows),
    )
    ctx.counts[model_label] = ctx.counts.pop(model._meta.db_table)


def copy_plain(ctx: SeedContext, table: str, columns: list[str], rows: Iterable) -> None:
    """COPY into a table that has no model here (many-to-many, tokens)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    written = 0
    with ctx.conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        if "id" in columns:
            cur.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    "COALESCE((SELECT MAX(id) FROM {}), 1))"
                ).format(sql.Identifier(table)),
                (table,),
            )
    ctx.counts[table] = ctx.counts.get(table, 0) + written


def luhn_siren(rng: random.Random) -> str:
    """A random SIREN with a valid Luhn check digit."""
    digits = [rng.randrange(10) for _ in range(8)]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = digit * 2 if index % 2 == 0 else digit
        total += value - 9 if value > 9 else value
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def bench_token(role: str) -> str:
    """The fixed API token of a bench user (40 hex characters)."""
    return hashlib.sha1(f"alize-bench-{SEED}-{role}".encode()).hexdigest()  # noqa: S324


REGION_CODES = ["84", "27", "53", "24", "44", "32", "11", "28", "75", "76", "52", "93"]
NAF_CODES = ["25.62B", "28.41Z", "33.12Z", "10.71C", "22.29A", "62.01Z", "46.69B", "16.23Z"]
SKILLS = [
    "Finance",
    "Marketing",
    "Export",
    "Ressources humaines",
    "Qualité",
    "Production / lean",
    "Numérique",
    "Juridique",
    "Achats",
    "Énergie",
    "Stratégie",
    "Logistique",
]
PROJECT_TYPES = ["development", "diversification", "export", "investment", "organisation"]
# Where projects stand, with the path each stage's timeline took to get there.
STAGE_WEIGHTS = {
    "referred": 25,
    "qualified": 15,
    "in_instruction": 12,
    "on_agenda": 6,
    "approved": 8,
    "deferred": 3,
    "rejected": 4,
    "in_progress": 10,
    "followed_up": 7,
    "closed": 5,
    "abandoned": 5,
}
_BASE = ["referred", "qualified", "in_instruction", "on_agenda"]
STAGE_PATHS = {
    "referred": _BASE[:1],
    "qualified": _BASE[:2],
    "in_instruction": _BASE[:3],
    "on_agenda": _BASE,
    "approved": [*_BASE, "approved"],
    "deferred": [*_BASE, "deferred"],
    "rejected": [*_BASE, "rejected"],
    "in_progress": [*_BASE, "approved", "in_progress"],
    "followed_up": [*_BASE, "approved", "in_progress", "followed_up"],
    "closed": [*_BASE, "approved", "in_progress", "followed_up", "closed"],
    "abandoned": [*_BASE[:2], "abandoned"],
}


@seed_step("directory")
def seed_directory(ctx: SeedContext) -> None:
    """Partner organisations (large firms last in every tour de table) and skills."""
    kinds = ["large_firm", "consular", "development_agency", "bank", "funder", "public_body"]
    rows = []
    for i in range(1, ctx.scale.organisations + 1):
        kind = kinds[i % len(kinds)]
        rows.append(
            {
                "id": i,
                "name": f"Organisation {i:03d}",
                "slug": f"bench-org-{i:03d}",
                "kind": kind,
                "public_level": "region" if kind == "public_body" else "",
                "city": f"Ville {i % 40}",
            }
        )
    copy_rows(ctx, "partners.Organisation", rows)
    ctx.ids["organisations"] = [row["id"] for row in rows]
    ctx.ids["large_firms"] = [row["id"] for row in rows if row["kind"] == "large_firm"]
    skills = [
        {"id": i, "name": name, "slug": f"bench-{i}"} for i, name in enumerate(SKILLS, start=1)
    ]
    # The bench's own skills list replaces the national vocabulary a migration created.
    ctx.conn.execute("DELETE FROM partners_skill")
    copy_rows(ctx, "partners.Skill", skills)
    ctx.ids["skills"] = [row["id"] for row in skills]


@seed_step("dispositifs")
def seed_dispositifs(ctx: SeedContext) -> None:
    """Dispositifs with a 20-commune perimeter and a tour de table of about ten seats."""
    rng = ctx.rng
    rows, memberships, perimeters = [], [], {}
    organisations = ctx.ids["organisations"]
    for i in range(1, ctx.scale.dispositifs + 1):
        department = f"{(i % 90) + 1:02d}"
        perimeter = [f"{department}{n:03d}" for n in range(1, 21)]
        perimeters[i] = perimeter
        rows.append(
            {
                "id": i,
                "name": f"Dispositif {i:02d}",
                "slug": f"bench-{i:02d}",
                "region": REGION_CODES[i % len(REGION_CODES)],
                "departements": [department],
                "perimeter": perimeter,
                "carrier_id": organisations[i % len(organisations)],
                "launch_date": dt.date(2000 + i % 20, 1 + i % 12, 1),
                "status": "active",
                "advance_min": Decimal("10000.00"),
                "advance_max": Decimal("15000.00"),
                "follow_up_years": 3,
            }
        )
        for org in rng.sample(organisations, min(10, len(organisations))):
            memberships.append(
                {
                    "id": len(memberships) + 1,
                    "dispositif_id": i,
                    "organisation_id": org,
                    "kind": "partner_firm" if org in ctx.ids["large_firms"] else "public_body",
                    "joined_on": dt.date(2015, 1, 1),
                    "pledged_hours_per_year": 200,
                }
            )
    copy_rows(ctx, "dispositifs.Dispositif", rows)
    copy_rows(ctx, "dispositifs.Membership", memberships)
    ctx.ids["dispositifs"] = [row["id"] for row in rows]
    ctx.ids["perimeters"] = perimeters
    ctx.ids["region_of"] = {row["id"]: row["region"] for row in rows}


def dispositif_weights(count: int) -> list[float]:
    """Uneven sizes, as in reality: the first dispositif (the animateur's) is the largest."""
    return [4.0 if i == 0 else 1.0 / (1 + (i % 7) * 0.25) for i in range(count)]


@seed_step("users")
def seed_users(ctx: SeedContext) -> None:
    """The measured identities: coordinator, the first dispositif's animateur, a committee
    member there, and the API client of its region, each with an API token."""
    from django.contrib.auth.hashers import make_password

    password = make_password(PASSWORD)
    first = ctx.ids["dispositifs"][0]
    people = [
        ("coordinator", "coordination@bench.alize.fr", {}),
        ("animateur", "animateur@bench.alize.fr", {"dispositif_id": first}),
        (
            "committee_member",
            "membre@bench.alize.fr",
            {"dispositif_id": first, "organisation_id": ctx.ids["organisations"][0]},
        ),
        ("api_client", "api@bench.alize.fr", {"region": ctx.ids["region_of"][first]}),
    ]
    users, roles, tokens = [], [], []
    now = aware(REFERENCE_DAY)
    for i, (role, email, target) in enumerate(people, start=1):
        users.append(
            {
                "id": i,
                "password": password,
                "email": email,
                "full_name": email.split("@")[0].title(),
                "is_active": True,
                "is_staff": role == "coordinator",
                "is_superuser": False,
                "date_joined": now,
            }
        )
        roles.append(
            {"id": i, "user_id": i, "role": role, "region": "", "created_at": now, **target}
        )
        tokens.append((bench_token(role), i, now))
    copy_rows(ctx, "accounts.User", users)
    copy_rows(ctx, "accounts.RoleAssignment", roles)
    copy_plain(ctx, "authtoken_token", ["key", "user_id", "created"], tokens)
    ctx.ids["animateur_user"] = 2


@seed_step("companies")
def seed_companies(ctx: SeedContext) -> None:
    """SMEs spread unevenly over the dispositifs; most inside the perimeter."""
    rng = ctx.rng
    dispositifs = ctx.ids["dispositifs"]
    weights = dispositif_weights(len(dispositifs))
    rows, by_dispositif = [], {d: [] for d in dispositifs}
    sirens = set()
    for i in range(1, ctx.scale.companies + 1):
        dispositif = rng.choices(dispositifs, weights)[0]
        siren = luhn_siren(rng)
        while (dispositif, siren) in sirens:
            siren = luhn_siren(rng)
        sirens.add((dispositif, siren))
        perimeter = ctx.ids["perimeters"][dispositif]
        commune = rng.choice(perimeter) if rng.random() < 0.85 else "75056"
        created = aware(REFERENCE_DAY - dt.timedelta(days=rng.randrange(1, 1500)))
        rows.append(
            {
                "id": i,
                "dispositif_id": dispositif,
                "siren": siren,
                "name": f"Entreprise {rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}{i:05d}",
                "naf_code": rng.choice(NAF_CODES),
                "creation_date": REFERENCE_DAY - dt.timedelta(days=rng.randrange(200, 12000)),
                "headcount": rng.randrange(3, 320),
                "turnover": (
                    Decimal(rng.randrange(100_000, 60_000_000)).quantize(Decimal("0.01"))
                    if rng.random() < 0.8
                    else None
                ),
                "commune_code": commune,
                "commune_name": f"Commune {commune}",
                "contact_name": f"Contact {i}",
                "contact_role": "Dirigeant",
                "contact_email": f"contact{i}@pme.example",
                "contact_phone": f"03 27 {i % 100:02d} {i % 97:02d} {i % 89:02d}",
                "created_at": created,
                "updated_at": created,
            }
        )
        by_dispositif[dispositif].append(i)
    copy_rows(ctx, "pme.Company", rows)
    ctx.ids["companies_by_dispositif"] = by_dispositif
    ctx.ids["company_dispositif"] = {row["id"]: row["dispositif_id"] for row in rows}


@seed_step("committees")
def seed_committees(ctx: SeedContext) -> None:
    """A committee a month per dispositif, from 2022 to three months after the reference day."""
    rows = []
    by_dispositif = {}
    organisations = ctx.ids["organisations"]
    for dispositif in ctx.ids["dispositifs"]:
        day = dt.date(2022, 1, 10 + dispositif % 15)
        dates = []
        while day <= REFERENCE_DAY + dt.timedelta(days=90):
            committee_id = len(rows) + 1
            rows.append(
                {
                    "id": committee_id,
                    "dispositif_id": dispositif,
                    "date": day,
                    "start_time": dt.time(14),
                    "host_id": organisations[committee_id % len(organisations)],
                    "place": "Salle du conseil",
                    "status": "minutes_sent" if day <= REFERENCE_DAY else "planned",
                    "created_at": aware(day - dt.timedelta(days=30)),
                }
            )
            dates.append((day, committee_id))
            day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=day.day)
        by_dispositif[dispositif] = dates
    copy_rows(ctx, "committees.Committee", rows)
    ctx.ids["committees_by_dispositif"] = by_dispositif


@seed_step("projects")
def seed_projects(ctx: SeedContext) -> None:
    """Projects with their stage timelines; those that reached a committee have an agenda item
    and, once decided, a decision with its dates on the project."""
    rng = ctx.rng
    stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
    companies = list(ctx.ids["company_dispositif"].items())
    skills = ctx.ids["skills"]
    organisations = ctx.ids["organisations"]
    projects, needs, transitions, items, decisions = [], [], [], [], []
    used = set()
    for i in range(1, ctx.scale.projects + 1):
        company, dispositif = rng.choice(companies)
        stage = rng.choices(stages, weights)[0]
        path = STAGE_PATHS[stage]
        referred = REFERENCE_DAY - dt.timedelta(days=rng.randrange(30, 1500))
        day = referred
        first_committee = approved = None
        for index, to_stage in enumerate(path):
            if to_stage == "on_agenda":
                later = [c for c in ctx.ids["committees_by_dispositif"][dispositif] if c[0] > day][
                    :3
                ]
                if later:
                    committee_day, committee_id = rng.choice(later)
                    if (committee_id, i) not in used:
                        used.add((committee_id, i))
                        first_committee = committee_day
                        items.append(
                            {
                                "id": len(items) + 1,
                                "dispositif_id": dispositif,
                                "committee_id": committee_id,
                                "project_id": i,
                                "order": len(items) % 8,
                            }
                        )
            if to_stage in ("approved", "deferred", "rejected") and first_committee:
                day = first_committee
                outcome = to_stage
                decisions.append(
                    {
                        "id": len(decisions) + 1,
                        "dispositif_id": dispositif,
                        "item_id": items[-1]["id"],
                        "outcome": outcome,
                        "missions_granted": 2 if outcome == "approved" else 0,
                        "advance_amount": (
                            Decimal(rng.randrange(10, 16) * 1000) if outcome == "approved" else None
                        ),
                        "decided_at": aware(first_committee, 17),
                    }
                )
                if outcome == "approved":
                    approved = first_committee
            transitions.append(
                {
                    "id": len(transitions) + 1,
                    "dispositif_id": dispositif,
                    "project_id": i,
                    "from_stage": path[index - 1] if index else "",
                    "to_stage": to_stage,
                    "at": aware(day),
                }
            )
            day = day + dt.timedelta(days=rng.randrange(5, 60))
        changed = transitions[-1]["at"]
        projects.append(
            {
                "id": i,
                "dispositif_id": dispositif,
                "company_id": company,
                "title": f"Projet {i} : {rng.choice(SKILLS).lower()}",
                "project_type": rng.choice(PROJECT_TYPES),
                "description": "Développement de l'activité et recrutements.",
                "referred_by_id": rng.choice(organisations) if rng.random() < 0.7 else None,
                "referred_on": referred,
                "total_budget": Decimal(rng.randrange(50, 2000) * 1000),
                "financing_plan": "Fonds propres, prêt bancaire, avance remboursable.",
                "jobs_at_start": rng.randrange(3, 120),
                "jobs_planned_3y": rng.randrange(0, 30),
                "requested_advance": (
                    Decimal(rng.randrange(10, 16) * 1000) if rng.random() < 0.6 else None
                ),
                "stage": stage,
                "stage_changed_at": changed,
                "approved_on": approved,
                "first_committee_on": first_committee,
                "created_at": aware(referred),
                "updated_at": changed,
            }
        )
        for skill in rng.sample(skills, rng.randrange(0, 4)):
            needs.append((len(needs) + 1, i, skill))
    copy_rows(ctx, "pme.Project", projects)
    copy_plain(ctx, "pme_project_needs", ["id", "project_id", "skill_id"], needs)
    copy_rows(ctx, "pme.StageTransition", transitions)
    copy_rows(ctx, "committees.AgendaItem", items)
    copy_rows(ctx, "committees.Decision", decisions)


# --- Missions ---------------------------------------------------------------------------
# Experts for every large firm, a skill mission or two for every approved decision, their
# assignments and moves, closed months, and the scale's hour logs (1 000 000 at national
# scale); the firms' monthly totals are then summed in SQL. The measured expert (a user with
# a session) is the one with the most entries in the reference week.

EXPERT_FIRST_NAMES = [
    "Claire",
    "Marc",
    "Inès",
    "Hugo",
    "Sophie",
    "Karim",
    "Léa",
    "Paul",
    "Nadia",
    "Yves",
]
EXPERT_LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Garcia",
    "Roux",
    "Fournier",
]
EXPERT_USER_ID = 5
MAX_QUARTERS_PER_DAY = 48  # 12 hours, in quarter hours
FIRST_CLOSED_MONTH = dt.date(2022, 1, 1)


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _status(rng, starts: dt.date, ends: dt.date) -> str:
    roll = rng.random()
    if roll < 0.06:
        return "declined"
    if roll < 0.09:
        return "cancelled"
    if starts > REFERENCE_DAY:
        return "proposed" if roll < 0.5 else "accepted"
    return "completed" if ends < REFERENCE_DAY else "in_progress"


PATHS = {
    "proposed": ["proposed"],
    "accepted": ["proposed", "accepted"],
    "in_progress": ["proposed", "accepted", "in_progress"],
    "completed": ["proposed", "accepted", "in_progress", "completed"],
    "declined": ["proposed", "declined"],
    "cancelled": ["proposed", "accepted", "cancelled"],
}


def _experts(ctx: SeedContext) -> tuple[list[dict], list[tuple], dict[int, list[int]]]:
    rng = ctx.rng
    rows, skills, by_firm = [], [], {}
    now = aware(REFERENCE_DAY - dt.timedelta(days=900))
    for firm in ctx.ids["large_firms"]:
        for _ in range(ctx.scale.experts_per_firm):
            pk = len(rows) + 1
            first, last = rng.choice(EXPERT_FIRST_NAMES), rng.choice(EXPERT_LAST_NAMES)
            rows.append(
                {
                    "id": pk,
                    "organisation_id": firm,
                    "first_name": first,
                    "last_name": f"{last} {pk}",
                    "email": f"expert{pk}@firm.example",
                    "phone": f"06 {pk % 100:02d} {pk % 97:02d} {pk % 89:02d} {pk % 83:02d}",
                    "job_title": "Ingénieur",
                    "hours_per_month": rng.choice([8, 16, 24]),
                    "availability_note": "",
                    "lends_across_territories": rng.random() < 0.2,
                    "is_active": True,
                    "user_id": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            by_firm.setdefault(firm, []).append(pk)
            for skill in rng.sample(ctx.ids["skills"], rng.randrange(1, 4)):
                skills.append((len(skills) + 1, pk, skill))
    return rows, skills, by_firm


def _decisions(ctx: SeedContext) -> list[tuple]:
    with ctx.conn.cursor() as cur:
        cur.execute(
            "SELECT d.id, d.dispositif_id, i.project_id, c.date "
            "FROM dispositifs_decision d JOIN dispositifs_agendaitem i ON i.id = d.item_id "
            "JOIN dispositifs_committee c ON c.id = i.committee_id "
            "WHERE d.outcome = 'approved' ORDER BY d.id"
        )
        return cur.fetchall()


def _seated_firms(ctx: SeedContext) -> dict[int, list[int]]:
    seated: dict[int, list[int]] = {}
    with ctx.conn.cursor() as cur:
        cur.execute(
            "SELECT m.dispositif_id, m.organisation_id FROM dispositifs_membership m "
            "JOIN partners_organisation o ON o.id = m.organisation_id "
            "WHERE o.kind = 'large_firm' ORDER BY m.id"
        )
        for dispositif, firm in cur.fetchall():
            seated.setdefault(dispositif, []).append(firm)
    return seated


@seed_step("missions")
def seed_missions(ctx: SeedContext) -> None:
    """Experts, missions with their assignments and moves, closed months, hour logs."""
    rng = ctx.rng
    experts, expert_skills, by_firm = _experts(ctx)
    lenders = [e["organisation_id"] for e in experts if e["lends_across_territories"]]
    seated = _seated_firms(ctx)
    missions, assignments, moves, loggable = [], [], [], []
    for decision, dispositif, project, committee_day in _decisions(ctx):
        for _ in range(rng.choice([1, 1, 2])):
            firms = seated.get(dispositif) or []
            cross = not firms or rng.random() < 0.05
            firm = rng.choice(lenders) if cross else rng.choice(firms)
            starts = committee_day + dt.timedelta(days=rng.randrange(10, 40))
            ends = starts + dt.timedelta(days=rng.randrange(90, 240))
            status = _status(rng, starts, ends)
            pk = len(missions) + 1
            proposed = aware(committee_day + dt.timedelta(days=3))
            changed = aware(min(ends, REFERENCE_DAY)) if status != "proposed" else proposed
            missions.append(
                {
                    "id": pk,
                    "dispositif_id": dispositif,
                    "project_id": project,
                    "decision_id": decision,
                    "firm_id": firm,
                    "skill_id": rng.choice(ctx.ids["skills"]),
                    "objective": "Accompagner la PME sur un chantier précis.",
                    "planned_hours": Decimal(rng.randrange(20, 120)).quantize(Decimal("0.01")),
                    "starts_on": starts,
                    "ends_on": ends,
                    "status": status,
                    "cross_territory": cross,
                    "decline_reason": "Aucun expert disponible." if status == "declined" else "",
                    "sme_evaluation": "Très utile." if status == "completed" else "",
                    "sme_rating": 4 if status == "completed" else None,
                    "expert_evaluation": "Bon accueil." if status == "completed" else "",
                    "expert_rating": 5 if status == "completed" else None,
                    "proposed_by_id": None,
                    "proposed_at": proposed,
                    "status_changed_at": changed,
                    "updated_at": changed,
                }
            )
            path = PATHS[status]
            for index, to_status in enumerate(path):
                moves.append(
                    {
                        "id": len(moves) + 1,
                        "dispositif_id": dispositif,
                        "mission_id": pk,
                        "from_status": path[index - 1] if index else "",
                        "to_status": to_status,
                        "reason": "",
                        "by_id": None,
                        "at": proposed if index == 0 else changed,
                    }
                )
            if status in ("accepted", "in_progress", "completed", "cancelled"):
                pool = [
                    e
                    for e in by_firm[firm]
                    if not cross or experts[e - 1]["lends_across_territories"]
                ]
                team = rng.sample(pool, min(len(pool), rng.choice([1, 1, 2])))
                for expert in team:
                    assignments.append(
                        {
                            "id": len(assignments) + 1,
                            "dispositif_id": dispositif,
                            "mission_id": pk,
                            "expert_id": expert,
                            "assigned_by_id": None,
                            "assigned_at": proposed,
                        }
                    )
                if status in ("in_progress", "completed"):
                    loggable.append((pk, dispositif, starts, min(ends, REFERENCE_DAY), team))
    logs = _hour_logs(ctx, loggable)
    measured = _measured_expert(logs)
    experts[measured - 1]["user_id"] = EXPERT_USER_ID
    _expert_user(ctx, experts[measured - 1]["organisation_id"])
    copy_rows(ctx, "partners.Expert", experts)
    copy_plain(ctx, "partners_expert_skills", ["id", "expert_id", "skill_id"], expert_skills)
    copy_rows(ctx, "missions.SkillMission", missions)
    copy_rows(ctx, "missions.MissionTransition", moves)
    copy_rows(ctx, "missions.MissionAssignment", assignments)
    copy_rows(ctx, "missions.HourLog", logs)
    _closed_months(ctx)
    with ctx.conn.cursor() as cur:
        cur.execute(
            "INSERT INTO missions_firmmonthhours (dispositif_id, firm_id, month, hours) "
            "SELECT l.dispositif_id, m.firm_id, date_trunc('month', l.date)::date, SUM(l.hours) "
            "FROM missions_hourlog l JOIN missions_skillmission m ON m.id = l.mission_id "
            "GROUP BY 1, 2, 3"
        )
        ctx.counts["missions.FirmMonthHours"] = cur.rowcount
    ctx.ids["measured_expert"] = measured


def _hour_logs(ctx: SeedContext, loggable: list[tuple]) -> list[dict]:
    """Exactly ``scale.hour_logs`` entries over the weekdays of the missions' work, spread
    in proportion to each mission's length (a first pass), then topped up a day at a time
    across the missions; never over 12 hours a day for one person."""
    rng = ctx.rng
    wanted = ctx.scale.hour_logs
    spans = []
    for mission, dispositif, starts, ends, team in loggable:
        days = [
            starts + dt.timedelta(days=n)
            for n in range((ends - starts).days + 1)
            if (starts + dt.timedelta(days=n)).weekday() < 5
        ]
        for expert in team:
            rng.shuffle(days)
            spans.append((mission, dispositif, expert, list(days)))
    capacity = sum(len(days) for *_rest, days in spans)
    share = min(1.0, wanted / capacity) if capacity else 0.0
    day_load: dict[int, int] = {}
    logs: list[dict] = []

    def add(mission, dispositif, expert, day) -> None:
        quarters = rng.randrange(2, 17)  # 0.5 h to 4 h
        key = expert * 100_000 + day.toordinal() - 730_000
        if day_load.get(key, 0) + quarters > MAX_QUARTERS_PER_DAY:
            return
        day_load[key] = day_load.get(key, 0) + quarters
        logs.append(
            {
                "id": len(logs) + 1,
                "dispositif_id": dispositif,
                "mission_id": mission,
                "expert_id": expert,
                "date": day,
                "hours": Decimal(quarters) / 4,
                "kind": "entry",
                "corrects_id": None,
                "note": "",
                "reason": "",
                "created_by_id": None,
                "created_at": aware(day, 18),
                "updated_at": aware(day, 18),
            }
        )

    for mission, dispositif, expert, days in spans:
        for _ in range(min(len(days), max(1, int(len(days) * share)))):
            if len(logs) >= wanted:
                break
            add(mission, dispositif, expert, days.pop())
    while len(logs) < wanted and any(span[3] for span in spans):
        for mission, dispositif, expert, days in spans:
            if days and len(logs) < wanted:
                add(mission, dispositif, expert, days.pop())
    logs.sort(key=lambda row: (row["date"], row["mission_id"], row["expert_id"]))
    for number, row in enumerate(logs, start=1):
        row["id"] = number
    return logs


def reference_week() -> tuple[dt.date, dt.date]:
    monday = REFERENCE_DAY - dt.timedelta(days=REFERENCE_DAY.weekday())
    return monday, monday + dt.timedelta(days=6)


def _measured_expert(logs: list[dict]) -> int:
    """The expert with the most entries in the reference week (the week grid measured)."""
    monday, sunday = reference_week()
    counts: dict[int, int] = {}
    for row in logs:
        if monday <= row["date"] <= sunday:
            counts[row["expert_id"]] = counts.get(row["expert_id"], 0) + 1
    return max(sorted(counts), key=lambda e: counts[e]) if counts else logs[0]["expert_id"]


def _expert_user(ctx: SeedContext, firm: int) -> None:
    from django.contrib.auth.hashers import make_password

    now = aware(REFERENCE_DAY)
    before = {
        label: ctx.counts.get(label, 0) for label in ("accounts.User", "accounts.RoleAssignment")
    }
    copy_rows(
        ctx,
        "accounts.User",
        [
            {
                "id": EXPERT_USER_ID,
                "password": make_password(PASSWORD),
                "email": "expert@bench.alize.fr",
                "full_name": "Expert",
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
                "date_joined": now,
            }
        ],
    )
    copy_rows(
        ctx,
        "accounts.RoleAssignment",
        [
            {
                "id": EXPERT_USER_ID,
                "user_id": EXPERT_USER_ID,
                "role": "expert",
                "organisation_id": firm,
                "region": "",
                "created_at": now,
            }
        ],
    )
    for label, count in before.items():
        ctx.counts[label] += count


def _closed_months(ctx: SeedContext) -> None:
    """Every dispositif has closed each month from 2022 to the one before the reference."""
    rows = []
    last = REFERENCE_DAY.replace(day=1)
    for dispositif in ctx.ids["dispositifs"]:
        month = FIRST_CLOSED_MONTH
        while month < last:
            rows.append(
                {
                    "id": len(rows) + 1,
                    "dispositif_id": dispositif,
                    "month": month,
                    "closed_by_id": None,
                    "closed_at": aware(_month_after(month) + dt.timedelta(days=5)),
                }
            )
            month = _month_after(month)
    copy_rows(ctx, "missions.ClosedMonth", rows)


def seed(url: str, scale: Scale) -> dict[str, int]:
    """Run every registered step in one transaction; returns the row counts."""
    with psycopg.connect(url) as conn:
        ctx = SeedContext(conn=conn, scale=scale, rng=random.Random(SEED))  # noqa: S311
        for step in steps():
            step.run(ctx)
        with conn.cursor() as cur:
            cur.execute("ANALYZE")
    return ctx.counts
