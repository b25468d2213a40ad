"""The loans seeding step of the benchmark: a fund per dispositif with its contributions, and
advances from approved decisions (``Scale.advances``: 10 000 nationally) with their
schedules, repayments, reschedules, write-offs and every ledger line, written with COPY.

The rows follow the services' rules, replayed in date order: disbursements take the
contributions' cash first in, first out (by date received), repayments flow back to the
contributions in proportion to what each still has out in the advance
(``loans.ledger.split_proportionally``), each repayment is allocated to the oldest unpaid
instalment, schedules add up to the principal (``loans.services.split_schedule``), and
every journal transaction balances (the database's deferred trigger checks it at commit).
Where the pipeline holds fewer approved decisions than advances wanted, approved projects
are added (with their agenda item, decision and stage timeline).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections import defaultdict
from decimal import Decimal

from django.apps import apps

from bench.seed import (
    _BASE,
    PROJECT_TYPES,
    REFERENCE_DAY,
    SEED,
    SeedContext,
    aware,
    copy_rows,
    dispositif_weights,
    seed_step,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Behaviours of disbursed advances (weights): paying on time, stopping (arrears), stopping
# then written off, stopping then rescheduled (and paying again), repaying early in full.
BEHAVIOURS = {"on_time": 78, "late": 10, "written_off": 4, "rescheduled": 4, "early": 4}


def table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


class Ids:
    """Sequential ids per table, continuing after what earlier steps wrote."""

    def __init__(self):
        self.next: dict[str, int] = defaultdict(lambda: 1)

    def __call__(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


def approved_decisions(ctx: SeedContext, latest: dt.date) -> list[tuple]:
    """``(decision, dispositif, amount, project, committee date, project type, decided at)``
    of every approved decision with an advance, taken by ``latest``."""
    decision, item, committee = (
        table("committees.Decision"),
        table("committees.AgendaItem"),
        table("committees.Committee"),
    )
    with ctx.conn.cursor() as cur:
        cur.execute(
            f"SELECT d.id, d.dispositif_id, d.advance_amount, i.project_id, c.date, "  # noqa: S608
            f"p.project_type, d.decided_at FROM {decision} d "
            f"JOIN {item} i ON i.id = d.item_id JOIN {committee} c ON c.id = i.committee_id "
            f"JOIN pme_project p ON p.id = i.project_id "
            f"WHERE d.outcome = 'approved' AND d.advance_amount IS NOT NULL AND c.date <= %s "
            f"ORDER BY d.id",
            (latest,),
        )
        return cur.fetchall()


def max_ids(ctx: SeedContext, labels: list[str]) -> dict[str, int]:
    found = {}
    with ctx.conn.cursor() as cur:
        for label in labels:
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table(label)}")  # noqa: S608
            found[label] = cur.fetchone()[0]
    return found


def add_approved_projects(ctx: SeedContext, rng: random.Random, count: int, latest: dt.date):
    """``count`` projects approved with an advance by a past committee, in progress, with
    their timeline, agenda item and decision; returns them as ``approved_decisions`` rows."""
    labels = ["pme.Project", "pme.StageTransition", "committees.AgendaItem", "committees.Decision"]
    start = max_ids(ctx, labels)
    dispositifs = [d for d in ctx.ids["dispositifs"] if ctx.ids["companies_by_dispositif"][d]]
    weights = dispositif_weights(len(ctx.ids["dispositifs"]))
    weights = [weights[ctx.ids["dispositifs"].index(d)] for d in dispositifs]
    projects, transitions, items, decisions, added = [], [], [], [], []
    for n in range(1, count + 1):
        dispositif = rng.choices(dispositifs, weights)[0]
        company = rng.choice(ctx.ids["companies_by_dispositif"][dispositif])
        past = [c for c in ctx.ids["committees_by_dispositif"][dispositif] if c[0] <= latest]
        committee_day, committee_id = rng.choice(past)
        project_id = start["pme.Project"] + n
        referred = committee_day - dt.timedelta(days=rng.randrange(30, 120))
        path = [*_BASE, "approved", "in_progress"]
        days = [referred + dt.timedelta(days=k * 7) for k in range(4)]
        days += [committee_day, committee_day + dt.timedelta(days=rng.randrange(5, 40))]
        for index, stage in enumerate(path):
            transitions.append(
                {
                    "id": start["pme.StageTransition"] + len(transitions) + 1,
                    "dispositif_id": dispositif,
                    "project_id": project_id,
                    "from_stage": path[index - 1] if index else "",
                    "to_stage": stage,
                    "at": aware(min(days[index], committee_day) if index < 4 else days[index]),
                }
            )
        project_type = rng.choice(PROJECT_TYPES)
        projects.append(
            {
                "id": project_id,
                "dispositif_id": dispositif,
                "company_id": company,
                "title": f"Projet {project_id} : avance remboursable",
                "project_type": project_type,
                "description": "Investissement productif et recrutements.",
                "referred_on": referred,
                "total_budget": Decimal(rng.randrange(80, 900) * 1000),
                "financing_plan": "Prêt bancaire, fonds propres, avance remboursable.",
                "jobs_at_start": rng.randrange(3, 80),
                "jobs_planned_3y": rng.randrange(1, 25),
                "requested_advance": Decimal("15000.00"),
                "stage": "in_progress",
                "stage_changed_at": transitions[-1]["at"],
                "approved_on": committee_day,
                "first_committee_on": committee_day,
                "created_at": aware(referred),
                "updated_at": transitions[-1]["at"],
            }
        )
        item_id = start["committees.AgendaItem"] + n
        items.append(
            {
                "id": item_id,
                "dispositif_id": dispositif,
                "committee_id": committee_id,
                "project_id": project_id,
                "order": 8 + n % 4,
            }
        )
        amount = Decimal(rng.randrange(10, 16) * 1000)
        decided = aware(committee_day, 17)
        decision_id = start["committees.Decision"] + n
        decisions.append(
            {
                "id": decision_id,
                "dispositif_id": dispositif,
                "item_id": item_id,
                "outcome": "approved",
                "missions_granted": 1,
                "advance_amount": amount,
                "decided_at": decided,
            }
        )
        added.append(
            (decision_id, dispositif, amount, project_id, committee_day, project_type, decided)
        )
    copy_rows(ctx, "pme.Project", projects)
    copy_rows(ctx, "pme.StageTransition", transitions)
    copy_rows(ctx, "committees.AgendaItem", items)
    copy_rows(ctx, "committees.Decision", decisions)
    return added


class Books:
    """The ledger being written: transactions, lines, and the balances the rules need."""

    def __init__(self, ids: Ids):
        self.ids = ids
        self.transactions: list[dict] = []
        self.lines: list[dict] = []
        self.cash: dict[int, Decimal] = defaultdict(lambda: ZERO)  # by contribution
        self.out: dict[int, dict[int, Decimal]] = defaultdict(dict)  # advance → contribution

    def post(self, *, dispositif, fund, kind, day, pairs, advance=None, **refs) -> int:
        """One transaction: for each ``(debit account, credit account, contribution,
        amount)`` a debit line and a credit line."""
        transaction_id = self.ids("transaction")
        self.transactions.append(
            {
                "id": transaction_id,
                "dispositif_id": dispositif,
                "fund_id": fund,
                "kind": kind,
                "occurred_on": day,
                "advance_id": advance,
                "description": "",
                "recorded_at": aware(day, 11),
                **refs,
            }
        )
        for debit_account, credit_account, contribution, amount in pairs:
            for account, debit, credit in (
                (debit_account, amount, ZERO),
                (credit_account, ZERO, amount),
            ):
                self.lines.append(
                    {
                        "id": self.ids("line"),
                        "dispositif_id": dispositif,
                        "transaction_id": transaction_id,
                        "kind": kind,
                        "occurred_on": day,
                        "account": account,
                        "debit": debit,
                        "credit": credit,
                        "fund_id": fund,
                        "contribution_id": contribution,
                        "advance_id": advance if account != "capital" else None,
                    }
                )
        return transaction_id


def add_months(start: dt.date, months: int) -> dt.date:
    from loans.services import add_months as shift

    return shift(start, months)


@seed_step("loans")
def seed_loans(ctx: SeedContext) -> None:
    """Funds, contributions, advances with schedules, repayments, reschedules, write-offs,
    co-financing and the ledger, consistent with the services' rules."""
    from loans.ledger import split_proportionally
    from loans.services import split_schedule

    rng = random.Random(SEED + 11)  # noqa: S311 - its own generator: other steps unchanged
    latest = REFERENCE_DAY - dt.timedelta(days=45)
    decisions = approved_decisions(ctx, latest)
    if len(decisions) < ctx.scale.advances:
        counted = dict(ctx.counts)
        decisions += add_approved_projects(ctx, rng, ctx.scale.advances - len(decisions), latest)
        for label in ("pme.Project", "pme.StageTransition", "committees.AgendaItem"):
            ctx.counts[label] += counted.get(label, 0)
        ctx.counts["committees.Decision"] += counted.get("committees.Decision", 0)
    decisions = decisions[: ctx.scale.advances]
    ids, user = Ids(), ctx.ids["animateur_user"]

    # Plan every advance first: terms, behaviour, disbursement day.
    plans = []
    for decision, dispositif, amount, project, committee_day, _project_type, decided in decisions:
        monthly = rng.random() < 0.75
        plan = {
            "id": ids("advance"),
            "decision": decision,
            "dispositif": dispositif,
            "amount": amount,
            "project": project,
            "decided": decided,
            "committee_day": committee_day,
            "frequency": "monthly" if monthly else "quarterly",
            "count": rng.choice([12, 24, 36, 48, 60] if monthly else [8, 12, 16, 20]),
            "grace": rng.choice([0, 3, 6, 12]),
            "behaviour": rng.choices(list(BEHAVIOURS), list(BEHAVIOURS.values()))[0],
            "stage": rng.choices(["approved", "contracted", "disbursed"], [3, 3, 94])[0],
        }
        plan["contracted_on"] = committee_day + dt.timedelta(days=rng.randrange(7, 30))
        plan["disbursed_on"] = plan["contracted_on"] + dt.timedelta(days=rng.randrange(3, 20))
        if plan["stage"] == "disbursed" and plan["disbursed_on"] > REFERENCE_DAY:
            plan["stage"] = "contracted"
        if plan["contracted_on"] > REFERENCE_DAY:
            plan["stage"] = "approved"
        plans.append(plan)

    # A fund per dispositif, with three contributions received before any committee that
    # cover 110 % of what it lends (so some money stays idle, as utilisation shows).
    funds, contributions, fifo = {}, [], defaultdict(list)
    lent = defaultdict(lambda: ZERO)
    for plan in plans:
        if plan["stage"] == "disbursed":
            lent[plan["dispositif"]] += plan["amount"]
    books = Books(ids)
    organisations = ctx.ids["organisations"]
    sources = [
        ("caisse_des_depots", Decimal("0.50"), dt.date(2021, 1, 15)),
        ("esf", Decimal("0.35"), dt.date(2021, 6, 1)),
        ("local_authority", Decimal("0.25"), dt.date(2021, 11, 3)),
    ]
    for dispositif in ctx.ids["dispositifs"]:
        fund = ids("fund")
        funds[dispositif] = fund
        base = max(lent[dispositif], Decimal("150000.00"))
        for index, (kind, share, received) in enumerate(sources):
            contribution = ids("contribution")
            amount = (base * share).quantize(Decimal("1000"))
            contributions.append(
                {
                    "id": contribution,
                    "dispositif_id": dispositif,
                    "fund_id": fund,
                    "kind": kind,
                    "organisation_id": organisations[(dispositif * 3 + index) % len(organisations)],
                    "agreement": "",
                    "amount": amount,
                    "received_on": received,
                    "earmark": "",
                    "recorded_by_id": None,
                    "recorded_at": aware(received),
                }
            )
            fifo[dispositif].append(contribution)
            books.post(
                dispositif=dispositif,
                fund=fund,
                kind="contribution",
                day=received,
                pairs=[("cash", "capital", contribution, amount)],
                contribution_id=contribution,
            )
            books.cash[contribution] += amount

    # Schedules and the repayments each behaviour makes, then replay them in date order.
    instalments, repayments, allocations, transitions, write_offs, reversals = (
        [] for _ in "123456"
    )
    # (day, order, sequence, tie-break, kind, payload): disbursements before repayments.
    events, tie = [], itertools.count()

    def event(day, order, sequence, kind, payload):
        events.append((day, order, sequence, next(tie), kind, payload))

    def schedule(plan, version, principal, due_dates):
        rows = []
        for number, (due, amount) in enumerate(
            zip(due_dates, split_schedule(principal, len(due_dates)), strict=True), 1
        ):
            rows.append(
                {
                    "id": ids("instalment"),
                    "dispositif_id": plan["dispositif"],
                    "advance_id": plan["id"],
                    "schedule_version": version,
                    "number": number,
                    "due_on": due,
                    "amount": amount,
                    "superseded_at": None,
                    "overdue": False,
                    "days_past_due": 0,
                    "paid": ZERO,
                }
            )
        return rows

    for sequence, plan in enumerate(plans):
        if plan["stage"] != "disbursed":
            continue
        period = 1 if plan["frequency"] == "monthly" else 3
        start = plan["disbursed_on"]
        plan["schedule"] = schedule(
            plan,
            1,
            plan["amount"],
            [add_months(start, plan["grace"] + k * period) for k in range(1, plan["count"] + 1)],
        )
        event(start, 0, sequence, "disburse", plan)
        due = [row for row in plan["schedule"] if row["due_on"] <= REFERENCE_DAY]
        behaviour = plan["behaviour"]
        if behaviour == "early" and len(due) >= 2:
            stop = len(due) // 2
            for row in due[:stop]:
                event(row["due_on"], 1, sequence, "repay", (plan, row["amount"]))
            payoff = due[stop]["due_on"] - dt.timedelta(days=3)
            event(payoff, 1, sequence, "repay_rest", plan)
            continue
        if behaviour in ("late", "written_off", "rescheduled") and due:
            stop = rng.randrange(0, len(due))
            for row in due[:stop]:
                event(row["due_on"], 1, sequence, "repay", (plan, row["amount"]))
            missed = due[stop]["due_on"]
            if behaviour == "written_off" and missed + dt.timedelta(days=240) <= REFERENCE_DAY:
                event(missed + dt.timedelta(days=240), 2, sequence, "write_off", plan)
            elif behaviour == "rescheduled" and missed + dt.timedelta(days=60) <= REFERENCE_DAY:
                event(missed + dt.timedelta(days=60), 2, sequence, "reschedule", plan)
            continue
        for row in due:
            event(row["due_on"], 1, sequence, "repay", (plan, row["amount"]))
    heapq.heapify(events)

    def repay(day, plan, amount):
        advance, dispositif = plan["id"], plan["dispositif"]
        repayment = ids("repayment")
        repayments.append(
            {
                "id": repayment,
                "dispositif_id": dispositif,
                "advance_id": advance,
                "received_on": day,
                "amount": amount,
                "idempotency_key": f"bench-{repayment}",
                "recorded_by_id": user,
                "recorded_at": aware(day, 12),
            }
        )
        left = amount
        for row in plan["schedule"]:
            if not left:
                break
            if row["superseded_at"] is not None or row["paid"] >= row["amount"]:
                continue
            part = min(row["amount"] - row["paid"], left)
            row["paid"] += part
            left -= part
            allocations.append(
                {
                    "id": ids("allocation"),
                    "dispositif_id": dispositif,
                    "repayment_id": repayment,
                    "instalment_id": row["id"],
                    "amount": part,
                }
            )
        shares = split_proportionally(amount, books.out[advance])
        for contribution, share in shares.items():
            books.out[advance][contribution] -= share
            books.cash[contribution] += share
        books.post(
            dispositif=dispositif,
            fund=funds[dispositif],
            kind="repayment",
            day=day,
            advance=advance,
            repayment_id=repayment,
            pairs=[("cash", "loans", c, share) for c, share in shares.items() if share],
        )
        plan["repaid"] = plan.get("repaid", ZERO) + amount
        if plan["status"] == "disbursed":
            move(plan, "repaying", day)
        if plan["repaid"] == plan["amount"]:
            move(plan, "repaid", day)

    def move(plan, status, day, comment=""):
        transitions.append(
            {
                "id": ids("transition"),
                "dispositif_id": plan["dispositif"],
                "advance_id": plan["id"],
                "from_status": plan.get("status", ""),
                "to_status": status,
                "by_id": user,
                "at": aware(day, 15),
                "comment": comment,
            }
        )
        plan["status"], plan["status_day"] = status, day

    for plan in plans:
        move(plan, "approved", plan["decided"].date())
        if plan["stage"] in ("contracted", "disbursed"):
            move(plan, "contracted", plan["contracted_on"])

    while events:
        day, _order, sequence, _tie, kind, payload = heapq.heappop(events)
        if kind == "disburse":
            plan = payload
            advance, dispositif, left = plan["id"], plan["dispositif"], plan["amount"]
            pairs = []
            for contribution in fifo[dispositif]:
                take = min(books.cash[contribution], left)
                if take > 0:
                    books.cash[contribution] -= take
                    books.out[advance][contribution] = take
                    pairs.append(("loans", "cash", contribution, take))
                    left -= take
                if not left:
                    break
            assert not left, f"fund of dispositif {dispositif} is short for advance {advance}"
            books.post(
                dispositif=dispositif,
                fund=funds[dispositif],
                kind="disbursement",
                day=day,
                advance=advance,
                pairs=pairs,
            )
            move(plan, "disbursed", day)
        elif kind == "repay":
            plan, amount = payload
            repay(day, plan, amount)
        elif kind == "repay_rest":
            repay(day, payload, payload["amount"] - payload.get("repaid", ZERO))
        elif kind == "write_off":
            plan = payload
            advance, dispositif = plan["id"], plan["dispositif"]
            if plan["status"] not in ("in_arrears", "repaying", "disbursed"):
                continue
            move(plan, "in_arrears", day - dt.timedelta(days=200), "Retard")
            write_off = ids("write_off")
            shares = {c: v for c, v in books.out[advance].items() if v}
            amount = sum(shares.values(), ZERO)
            write_offs.append(
                {
                    "id": write_off,
                    "dispositif_id": dispositif,
                    "advance_id": advance,
                    "reason": "Liquidation judiciaire de l'entreprise",
                    "status": "approved",
                    "amount": amount,
                    "proposed_by_id": user,
                    "proposed_at": aware(day - dt.timedelta(days=14)),
                    "decided_by_id": 1,
                    "decided_at": aware(day),
                }
            )
            for contribution in shares:
                books.out[advance][contribution] = ZERO
            books.post(
                dispositif=dispositif,
                fund=funds[dispositif],
                kind="write_off",
                day=day,
                advance=advance,
                write_off_id=write_off,
                pairs=[("losses", "loans", c, share) for c, share in shares.items()],
            )
            move(plan, "written_off", day, "Liquidation judiciaire de l'entreprise")
        elif kind == "reschedule":
            plan = payload
            left = plan["amount"] - plan.get("repaid", ZERO)
            if not left:
                continue
            move(plan, "in_arrears", day - dt.timedelta(days=30), "Retard")
            for row in plan["schedule"]:
                if row["paid"] < row["amount"]:
                    row["superseded_at"] = aware(day, 16)
            first = day + dt.timedelta(days=30)
            new = schedule(plan, 2, left, [add_months(first, k) for k in range(12)])
            plan["schedule"] += new
            plan["version"] = 2
            move(plan, "rescheduled", day, "Difficultés de trésorerie")
            for row in new:
                if row["due_on"] <= REFERENCE_DAY:
                    heapq.heappush(
                        events,
                        (row["due_on"], 1, sequence, next(tie), "repay", (plan, row["amount"])),
                    )

    # Arrears as the daily job leaves them on the reference day.
    advances = []
    for plan in plans:
        worst = 0
        for row in plan.get("schedule", []):
            late = (
                row["superseded_at"] is None
                and row["paid"] < row["amount"]
                and row["due_on"] < REFERENCE_DAY
                and plan["status"] != "written_off"
            )
            if late:
                row["overdue"], row["days_past_due"] = True, (REFERENCE_DAY - row["due_on"]).days
                worst = max(worst, row["days_past_due"])
        if worst and plan["status"] != "in_arrears":
            move(plan, "in_arrears", REFERENCE_DAY, f"Jours de retard : {worst}")
        advances.append(
            {
                "id": plan["id"],
                "dispositif_id": plan["dispositif"],
                "fund_id": funds[plan["dispositif"]],
                "project_id": plan["project"],
                "decision_id": plan["decision"],
                "amount": plan["amount"],
                "interest_rate": ZERO,
                "grace_months": plan["grace"],
                "instalment_count": plan["count"],
                "frequency": plan["frequency"],
                "status": plan["status"],
                "status_changed_at": aware(plan["status_day"], 15),
                "contracted_on": plan["contracted_on"] if plan["stage"] != "approved" else None,
                "disbursed_on": plan["disbursed_on"] if plan["stage"] == "disbursed" else None,
                "schedule_version": plan.get("version", 1 if plan["stage"] == "disbursed" else 0),
                "days_past_due": worst,
                "arrears_checked_on": REFERENCE_DAY if plan["stage"] == "disbursed" else None,
                "created_by_id": user,
                "created_at": plan["decided"] + dt.timedelta(days=1),
            }
        )
        for row in plan.get("schedule", []):
            del row["paid"]
            instalments.append(row)

    cofinancing = [
        {
            "id": n,
            "dispositif_id": plan["dispositif"],
            "project_id": plan["project"],
            "organisation": rng.choice(["Crédit Agricole", "BNP Paribas", "Bpifrance", "CIC"]),
            "kind": rng.choice(["bank_loan", "bank_loan", "equity", "grant"]),
            "amount": Decimal(rng.randrange(10, 120) * 1000),
            "evidence_on": plan["disbursed_on"],
            "recorded_by_id": user,
            "recorded_at": aware(plan["disbursed_on"]),
        }
        for n, plan in enumerate((p for p in plans if p["stage"] == "disbursed"), 1)
    ]
    snapshots = []
    outstanding, at_risk = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    late_count = defaultdict(int)
    for advance, plan in zip(advances, plans, strict=True):
        left = sum(books.out[plan["id"]].values(), ZERO)
        outstanding[advance["fund_id"]] += left
        if advance["days_past_due"] > 30:
            at_risk[advance["fund_id"]] += left
        if advance["days_past_due"]:
            late_count[advance["fund_id"]] += 1
    for dispositif, fund in funds.items():
        snapshots.append(
            {
                "id": len(snapshots) + 1,
                "dispositif_id": dispositif,
                "fund_id": fund,
                "as_of": REFERENCE_DAY,
                "outstanding": outstanding[fund],
                "at_risk_30": at_risk[fund],
                "advances_in_arrears": late_count[fund],
                "computed_at": aware(REFERENCE_DAY, 6),
            }
        )

    copy_rows(
        ctx,
        "loans.Fund",
        [
            {"id": fund, "dispositif_id": d, "name": "Fonds d'avances remboursables",
             "created_at": aware(dt.date(2021, 1, 4))}
            for d, fund in funds.items()
        ],
    )  # fmt: skip
    copy_rows(ctx, "loans.FundContribution", contributions)
    copy_rows(ctx, "loans.Advance", advances)
    copy_rows(ctx, "loans.AdvanceTransition", transitions)
    copy_rows(ctx, "loans.Instalment", instalments)
    copy_rows(ctx, "loans.Repayment", repayments)
    copy_rows(ctx, "loans.RepaymentAllocation", allocations)
    copy_rows(ctx, "loans.WriteOff", write_offs)
    copy_rows(ctx, "loans.JournalTransaction", books.transactions)
    copy_rows(ctx, "loans.LedgerLine", books.lines)
    copy_rows(ctx, "loans.Cofinancing", cofinancing)
    copy_rows(ctx, "loans.PortfolioSnapshot", snapshots)
