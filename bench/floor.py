"""The floor: a bare WSGI app answering the companies, projects, missions, hour-log and
advances API lists, and a fund's balances, with psycopg.

It does what the API must do and nothing more: the token lookup, the role lookups that give
the caller's dispositifs, the same SQL filter, page and cursor, and the same JSON. It is served
by the same gunicorn with the same workers, so the ratio API / floor is the framework's cost.
Served as ``gunicorn bench.floor:application``; the database comes from ``DATABASE_URL``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import threading
from decimal import Decimal
from urllib import parse
from zoneinfo import ZoneInfo

import psycopg

PARIS = ZoneInfo("Europe/Paris")
SME_MAX_HEADCOUNT = 250
SME_MAX_TURNOVER = Decimal("50000000")
MIN_AGE_YEARS = 3
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
STAGES = [
    ("referred", "Signalé"),
    ("qualified", "Qualifié"),
    ("in_instruction", "En instruction"),
    ("on_agenda", "Inscrit en comité"),
    ("approved", "Accepté"),
    ("deferred", "Ajourné"),
    ("rejected", "Refusé"),
    ("in_progress", "Accompagnement en cours"),
    ("followed_up", "En suivi"),
    ("closed", "Clos"),
    ("abandoned", "Abandonné"),
]
STAGE_LABELS = dict(STAGES)
NEXT_STAGES = {
    "referred": ["qualified", "abandoned"],
    "qualified": ["in_instruction", "abandoned"],
    "in_instruction": ["qualified", "on_agenda", "abandoned"],
    "on_agenda": ["in_instruction", "approved", "deferred", "rejected", "abandoned"],
    "deferred": ["in_instruction", "on_agenda", "abandoned"],
    "approved": ["in_progress", "abandoned"],
    "in_progress": ["followed_up", "abandoned"],
    "followed_up": ["closed"],
    "rejected": [],
    "closed": [],
    "abandoned": [],
}

_local = threading.local()


def connection() -> psycopg.Connection:
    """One persistent autocommit connection per worker thread, reopened when broken."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed or conn.broken:
        conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        conn.execute("SET TIME ZONE 'Europe/Paris'")
        _local.conn = conn
    return conn


def scope(cur, token: str) -> tuple[bool, list[int]] | None:
    """``(everything, dispositif ids)`` of the token's user, or None when unknown."""
    cur.execute(
        "SELECT u.id FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id "
        "WHERE t.key = %s AND u.is_active",
        (token,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    cur.execute(
        "SELECT role, dispositif_id, organisation_id, region "
        "FROM accounts_roleassignment WHERE user_id = %s",
        (row[0],),
    )
    roles = cur.fetchall()
    if not roles:
        return None
    if any(role == "coordinator" for role, *_ in roles):
        return True, []
    ids = {d for role, d, _o, _r in roles if role in ("animateur", "committee_member") and d}
    organisations = [o for role, _d, o, _r in roles if role in ("firm_correspondent", "expert")]
    if organisations:
        cur.execute(
            "SELECT dispositif_id FROM dispositifs_membership WHERE organisation_id = ANY(%s)",
            (organisations,),
        )
        ids |= {r[0] for r in cur.fetchall()}
    regions = [r for role, _d, _o, r in roles if role == "api_client" and r]
    if regions:
        cur.execute("SELECT id FROM dispositifs_dispositif WHERE region = ANY(%s)", (regions,))
        ids |= {r[0] for r in cur.fetchall()}
    return False, sorted(ids)


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(PARIS).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def years_between(start: dt.date, end: dt.date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def replace_query_param(url: str, key: str, value: str) -> str:
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    query_dict = parse.parse_qs(query, keep_blank_values=True)
    query_dict[key] = [value]
    query = parse.urlencode(sorted(query_dict.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


def encode_cursor(base_url: str, position: str, reverse: bool) -> str:
    tokens = {}
    if reverse:
        tokens["r"] = "1"
    tokens["p"] = position
    encoded = base64.b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode()
    return replace_query_param(base_url, "cursor", encoded)


def decode_cursor(value: str) -> tuple[bool, int | None]:
    tokens = parse.parse_qs(base64.b64decode(value.encode("ascii")).decode("ascii"))
    return tokens.get("r", ["0"])[0] == "1", int(tokens["p"][0])


COMPANY_SQL = """
SELECT c.id, d.slug, c.siren, c.siret, c.name, c.naf_code, c.creation_date, c.headcount,
       c.turnover, c.commune_code, c.commune_name, c.contact_name, c.contact_role,
       c.contact_email, c.contact_phone, c.eligibility_exception, c.exception_reason,
       c.created_at, c.updated_at, c.commune_code = ANY(d.perimeter)
FROM pme_company c JOIN dispositifs_dispositif d ON d.id = c.dispositif_id
"""

PROJECT_SQL = """
SELECT p.id, d.slug, p.company_id, c.name, p.title, p.project_type, p.description,
       p.referred_by_id, p.referred_on,
       ARRAY(SELECT s.id FROM pme_project_needs n JOIN partners_skill s ON s.id = n.skill_id
             WHERE n.project_id = p.id ORDER BY s.name),
       p.total_budget, p.financing_plan, p.jobs_at_start, p.jobs_planned_3y,
       p.requested_advance, p.stage, p.stage_changed_at, p.first_committee_on, p.approved_on,
       p.created_at, p.updated_at
FROM pme_project p JOIN dispositifs_dispositif d ON d.id = p.dispositif_id
JOIN pme_company c ON c.id = p.company_id
"""


_NAF_LABELS: dict[str, str] = {}


def naf_labels(cur) -> dict[str, str]:
    """NAF labels, read once per process like the platform's reference."""
    if not _NAF_LABELS:
        cur.execute("SELECT code, label FROM partners_nafcode")
        _NAF_LABELS.update(cur.fetchall())
    return _NAF_LABELS


def check(code: str, status: str, message: str) -> dict:
    return {"code": code, "status": status, "passed": status == "passed", "message": message}


def company_json(row, today: dt.date, labels: dict[str, str]) -> dict:
    (pk, slug, siren, siret, name, naf, created, headcount, turnover, commune, commune_name,
     contact, contact_role, email, phone, exception, reason, created_at, updated_at,
     inside) = row  # fmt: skip
    age = years_between(created, today)
    if headcount >= SME_MAX_HEADCOUNT or (turnover is not None and turnover > SME_MAX_TURNOVER):
        size = "failed"
    else:
        size = "unknown" if turnover is None else "passed"
    if size == "unknown":
        size_message = (
            f"Effectif {headcount} (moins de {SME_MAX_HEADCOUNT} salariés) ; chiffre d'affaires "
            "inconnu, à vérifier (50 M€ au plus)."
        )
    else:
        size_message = f"Effectif {headcount} (moins de {SME_MAX_HEADCOUNT} salariés, CA ≤ 50 M€)."
    year_word = "an" if age <= 1 else "ans"  # French: 0 and 1 are singular
    place = "dans le" if inside else "hors du"
    checks = [
        check(
            "age",
            "passed" if age >= MIN_AGE_YEARS else "failed",
            f"Créée il y a {age} {year_word} (au moins {MIN_AGE_YEARS} requis).",
        ),
        check("size", size, size_message),
        check(
            "perimeter",
            "passed" if inside else "failed",
            f"La commune {commune} est {place} périmètre du dispositif.",
        ),
    ]
    met = all(c["passed"] for c in checks)
    failures = any(c["status"] == "failed" for c in checks)
    return {
        "id": pk,
        "dispositif": slug,
        "siren": siren,
        "siret": siret,
        "name": name,
        "naf_code": naf,
        "naf_label": labels.get(naf, ""),
        "creation_date": day(created),
        "age_years": age,
        "headcount": headcount,
        "turnover": money(turnover),
        "commune_code": commune,
        "commune_name": commune_name,
        "contact_name": contact,
        "contact_role": contact_role,
        "contact_email": email,
        "contact_phone": phone,
        "eligibility": {
            "criteria_met": met,
            "to_check": not failures and any(c["status"] == "unknown" for c in checks),
            "eligible": met or exception,
            "exception": exception,
            "exception_reason": reason,
            "checks": checks,
        },
        "eligibility_exception": exception,
        "exception_reason": reason,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
    }


def project_json(row, today: dt.date, labels: dict[str, str]) -> dict:
    (pk, slug, company, company_name, title, kind, description, referred_by, referred_on, needs,
     budget, plan, jobs_start, jobs_3y, advance, stage, changed, first_committee, approved,
     created_at, updated_at) = row  # fmt: skip
    return {
        "id": pk,
        "dispositif": slug,
        "company": company,
        "company_name": company_name,
        "title": title,
        "project_type": kind,
        "description": description,
        "referred_by": referred_by,
        "referred_on": day(referred_on),
        "needs": list(needs),
        "total_budget": money(budget),
        "financing_plan": plan,
        "jobs_at_start": jobs_start,
        "jobs_planned_3y": jobs_3y,
        "requested_advance": money(advance),
        "stage": stage,
        "stage_label": STAGE_LABELS[stage],
        "stage_changed_at": iso(changed),
        "allowed_next_stages": NEXT_STAGES[stage],
        "first_committee_on": day(first_committee),
        "approved_on": day(approved),
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
    }


def company_filters(query: dict) -> tuple[list[str], list]:
    where, params = [], []
    if "dispositif" in query:
        where.append("d.slug = %s")
        params.append(query["dispositif"])
    if "naf_code" in query:
        where.append("c.naf_code LIKE %s")
        params.append(query["naf_code"].replace("%", r"\%").replace("_", r"\_") + "%")
    if query.get("q", "").strip():
        # The platform's search (alize.search): the stored search column, accents and case
        # aside, with the operator its trigram index serves.
        value = query["q"].strip().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        where.append("c.search_text ~~~ ('%%' || alize_search_text(%s) || '%%')")
        params.append(value)
    return where, params


def project_filters(query: dict) -> tuple[list[str], list]:
    where, params = [], []
    if "dispositif" in query:
        where.append("d.slug = %s")
        params.append(query["dispositif"])
    if "stage" in query:
        where.append("p.stage = ANY(%s)")
        params.append(query["stage_list"])
    if "project_type" in query:
        where.append("p.project_type = %s")
        params.append(query["project_type"])
    return where, params


MISSION_SQL = """
SELECT m.id, d.slug, m.project_id, p.title, m.decision_id, m.firm_id, o.name, m.skill_id,
       s.name, m.objective, m.planned_hours, m.starts_on, m.ends_on, m.status,
       m.cross_territory, m.decline_reason, m.sme_evaluation, m.sme_rating,
       m.expert_evaluation, m.expert_rating,
       ARRAY(SELECT a.expert_id FROM missions_missionassignment a
             WHERE a.mission_id = m.id ORDER BY a.expert_id),
       m.proposed_at, m.status_changed_at
FROM missions_skillmission m JOIN dispositifs_dispositif d ON d.id = m.dispositif_id
JOIN pme_project p ON p.id = m.project_id
JOIN partners_organisation o ON o.id = m.firm_id
JOIN partners_skill s ON s.id = m.skill_id
"""

HOUR_LOG_SQL = """
SELECT l.id, d.slug, l.mission_id, l.expert_id, l.date, l.hours, l.kind, l.corrects_id,
       l.note, l.reason, l.created_at, l.updated_at
FROM missions_hourlog l JOIN dispositifs_dispositif d ON d.id = l.dispositif_id
"""


def mission_json(row, today: dt.date, labels: dict[str, str]) -> dict:
    (pk, slug, project, project_title, decision, firm, firm_name, skill, skill_name, objective,
     planned, starts, ends, status, cross, decline, sme_eval, sme_rating, expert_eval,
     expert_rating, experts, proposed_at, changed) = row  # fmt: skip
    return {
        "id": pk,
        "dispositif": slug,
        "project": project,
        "project_title": project_title,
        "decision": decision,
        "firm": firm,
        "firm_name": firm_name,
        "skill": skill,
        "skill_name": skill_name,
        "objective": objective,
        "planned_hours": money(planned),
        "starts_on": day(starts),
        "ends_on": day(ends),
        "status": status,
        "cross_territory": cross,
        "decline_reason": decline,
        "sme_evaluation": sme_eval,
        "sme_rating": sme_rating,
        "expert_evaluation": expert_eval,
        "expert_rating": expert_rating,
        "experts": list(experts),
        "proposed_at": iso(proposed_at),
        "status_changed_at": iso(changed),
    }


def hour_log_json(row, today: dt.date, labels: dict[str, str]) -> dict:
    (pk, slug, mission, expert, date, hours, kind, corrects, note, reason, created_at,
     updated_at) = row  # fmt: skip
    return {
        "id": pk,
        "dispositif": slug,
        "mission": mission,
        "expert": expert,
        "date": day(date),
        "hours": money(hours),
        "kind": kind,
        "corrects": corrects,
        "note": note,
        "reason": reason,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
    }


def mission_filters(query: dict) -> tuple[list[str], list]:
    where, params = [], []
    if "dispositif" in query:
        where.append("d.slug = %s")
        params.append(query["dispositif"])
    if "status" in query:
        where.append("m.status = ANY(%s)")
        params.append(query["status_list"])
    return where, params


def hour_log_filters(query: dict) -> tuple[list[str], list]:
    where, params = [], []
    if "dispositif" in query:
        where.append("d.slug = %s")
        params.append(query["dispositif"])
    if "date_after" in query:
        where.append("l.date >= %s")
        params.append(dt.date.fromisoformat(query["date_after"]))
    return where, params


ADVANCE_SQL = """
SELECT a.id, d.slug, a.fund_id, f.name, a.project_id, p.title, c.name, a.decision_id, a.amount,
       a.interest_rate, a.grace_months, a.instalment_count, a.frequency, a.status,
       a.status_changed_at, a.contracted_on, a.disbursed_on, a.schedule_version,
       a.days_past_due, a.outstanding, a.created_at
FROM loans_advance a JOIN dispositifs_dispositif d ON d.id = a.dispositif_id
JOIN loans_fund f ON f.id = a.fund_id
JOIN pme_project p ON p.id = a.project_id JOIN pme_company c ON c.id = p.company_id
"""


def advance_json(row, today: dt.date, labels: dict[str, str]) -> dict:
    (pk, slug, fund, fund_name, project, title, company_name, decision, amount, rate, grace,
     count, frequency, status, changed, contracted, disbursed, version, late, outstanding,
     created_at) = row  # fmt: skip
    return {
        "id": pk,
        "dispositif": slug,
        "fund": fund,
        "fund_name": fund_name,
        "project": project,
        "project_title": title,
        "company_name": company_name,
        "decision": decision,
        "amount": money(amount),
        "interest_rate": money(rate),
        "grace_months": grace,
        "instalment_count": count,
        "frequency": frequency,
        "status": status,
        "status_changed_at": iso(changed),
        "contracted_on": day(contracted),
        "disbursed_on": day(disbursed),
        "schedule_version": version,
        "days_past_due": late,
        "outstanding": money(outstanding),
        "created_at": iso(created_at),
    }


def advance_filters(query: dict) -> tuple[list[str], list]:
    where, params = [], []
    if "dispositif" in query:
        where.append("d.slug = %s")
        params.append(query["dispositif"])
    if "status" in query:
        where.append("a.status = ANY(%s)")
        params.append(query["status_list"])
    if query.get("fund", "").isdigit():
        where.append("a.fund_id = %s")
        params.append(int(query["fund"]))
    return where, params


LISTS = {
    "/api/v1/companies/": ("c", COMPANY_SQL, company_filters, company_json),
    "/api/v1/projects/": ("p", PROJECT_SQL, project_filters, project_json),
    "/api/v1/missions/": ("m", MISSION_SQL, mission_filters, mission_json),
    "/api/v1/hour-logs/": ("l", HOUR_LOG_SQL, hour_log_filters, hour_log_json),
    "/api/v1/advances/": ("a", ADVANCE_SQL, advance_filters, advance_json),
}

FUND_PATH = re.compile(r"^/api/v1/funds/(\d+)/$")


def fund_json(cur, pk: int, allowed: tuple[bool, list[int]]) -> dict | None:
    """A fund and its balances, summed from its ledger lines as the API does (by account
    and kind, on the covering index); None when missing or out of the caller's scope."""
    everything, ids = allowed
    cur.execute(
        "SELECT f.id, d.slug, f.name, f.created_at, f.dispositif_id, f.creditor_identifier, "
        "f.iban, f.bic FROM loans_fund f "
        "JOIN dispositifs_dispositif d ON d.id = f.dispositif_id WHERE f.id = %s",
        (pk,),
    )
    fund = cur.fetchone()
    if fund is None or not (everything or fund[4] in ids):
        return None
    cur.execute(
        "SELECT account, kind, SUM(debit), SUM(credit) FROM loans_ledgerline "
        "WHERE fund_id = %s GROUP BY account, kind",
        (pk,),
    )
    names = ("contributed", "available", "lent", "repaid", "lost", "outstanding", "provision")
    figures = {name: Decimal("0.00") for name in names}
    for account, kind, debit, credit in cur.fetchall():
        if account == "capital":
            figures["contributed"] += credit - debit
        elif account == "cash":
            figures["available"] += debit - credit
        elif account == "loans":
            figures["outstanding"] += debit - credit
            if kind == "disbursement":
                figures["lent"] += debit
            elif kind == "repayment":
                figures["repaid"] += credit
            elif kind == "reversal":
                figures["repaid"] -= debit
        elif account == "losses":
            figures["lost"] += debit - credit
        elif account == "allowance":
            figures["provision"] += credit - debit
    figures["net"] = figures["outstanding"] - figures["provision"]
    return {
        "id": fund[0],
        "dispositif": fund[1],
        "name": fund[2],
        "creditor_identifier": fund[5],
        "iban": fund[6],
        "bic": fund[7],
        "created_at": iso(fund[3]),
        **{name: money(value) for name, value in figures.items()},
    }


def respond(start_response, status: str, body: dict):
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def application(environ, start_response):
    """List endpoints of the floor; anything else answers 404."""
    path = environ.get("PATH_INFO", "")
    fund = FUND_PATH.match(path)
    if path not in LISTS and fund is None:
        return respond(start_response, "404 Not Found", {"detail": "Not found."})
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if not auth.startswith("Token "):
        return respond(start_response, "401 Unauthorized", {"detail": "Unauthorized."})
    if fund is not None:
        with connection().cursor() as cur:
            allowed = scope(cur, auth[6:].strip())
            body = None if allowed is None else fund_json(cur, int(fund.group(1)), allowed)
        if body is None:
            return respond(start_response, "404 Not Found", {"detail": "Not found."})
        return respond(start_response, "200 OK", body)
    multi = parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    query = {key: values[-1] for key, values in multi.items()}
    query["stage_list"] = multi.get("stage", [])
    query["status_list"] = multi.get("status", [])
    alias, sql, filters, to_json = LISTS[path]
    size = DEFAULT_PAGE_SIZE
    if query.get("page_size", "").isdigit() and int(query["page_size"]) > 0:
        size = min(int(query["page_size"]), MAX_PAGE_SIZE)
    reverse, position = decode_cursor(query["cursor"]) if "cursor" in query else (False, None)

    with connection().cursor() as cur:
        allowed = scope(cur, auth[6:].strip())
        if allowed is None:
            return respond(start_response, "401 Unauthorized", {"detail": "Unauthorized."})
        everything, ids = allowed
        where, params = filters(query)
        if not everything:
            where.append(f"{alias}.dispositif_id = ANY(%s)")
            params.append(ids)
        if position is not None:
            where.append(f"{alias}.id {'>' if reverse else '<'} %s")
            params.append(position)
        order = "ASC" if reverse else "DESC"
        statement = sql + (" WHERE " + " AND ".join(where) if where else "")
        statement += f" ORDER BY {alias}.id {order} LIMIT %s"
        cur.execute(statement, [*params, size + 1])
        rows = cur.fetchall()
        labels = naf_labels(cur)

    page = rows[:size]
    following = len(rows) > size
    if reverse:
        page.reverse()
    has_next = (position is not None) if reverse else following
    has_previous = following if reverse else (position is not None)
    scheme = environ.get("wsgi.url_scheme", "http")
    base = f"{scheme}://{environ.get('HTTP_HOST', 'localhost')}{path}"
    if environ.get("QUERY_STRING"):
        base += "?" + environ["QUERY_STRING"]
    today = dt.datetime.now(PARIS).date()
    return respond(
        start_response,
        "200 OK",
        {
            "next": encode_cursor(base, str(page[-1][0]), False) if has_next and page else None,
            "previous": encode_cursor(base, str(page[0][0]), True)
            if has_previous and page
            else None,
            "results": [to_json(row, today, labels) for row in page],
        },
    )
