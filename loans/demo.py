"""Demo data of the loans layer: in every demo dispositif a fund fed by several sources (the
Caisse des dépôts, a named revitalisation agreement with its firm, the European Social Fund,
the regional council), and an advance for each approved committee decision, told through
the services so the ledger is right: recent ones approved or contracted, older ones
disbursed and repaid on time, in arrears, rescheduled, repaid or written off, with the
co-financing their projects obtained, the fund's SEPA creditor identifier and account, and
the SEPA mandates of the advances being repaid. The daily arrears job runs last.

Stable: a fixed random seed per dispositif, and a dispositif that already has a fund is
left as it is (running twice adds nothing). Moves are dated when they happened in the
story (the services record them now, so their timestamps are set back afterwards).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone
from schwifty import IBAN
from stdnum.eu import at_02

from alize.accounts.models import User
from alize.demo import DEMO_DOMAIN, Log, register_seeder, share
from committees.models import Decision, DecisionOutcome
from dispositifs.demo import DISPOSITIFS, region_council_slug
from dispositifs.models import Dispositif
from partners.models import Organisation
from pme.demo import _at

from . import services
from .models import (
    LIVE_STATUSES,
    ZERO,
    Advance,
    AdvanceStatus,
    AdvanceTransition,
    ContributionKind,
    Fund,
    Instalment,
)

CONTRACT_AFTER = dt.timedelta(days=21)
DISBURSE_AFTER = dt.timedelta(days=35)
BANKS = ("Crédit Agricole", "Banque Populaire", "Caisse d'Épargne", "BNP Paribas", "CIC")
CENT = Decimal("0.01")


def _round_up(amount: Decimal, step: int = 10_000) -> Decimal:
    return Decimal(-(-int(amount) // step) * step)


class LoanStorySeeder:
    """The fund and advances of one demo dispositif."""

    def __init__(self, spec, dispositif: Dispositif, today: dt.date):
        self.spec = spec
        self.dispositif = dispositif
        self.today = today
        self.rng = random.Random(f"loans-{spec.slug}")
        self.animateur = User.objects.get(email=f"animateur.{spec.slug}@{DEMO_DOMAIN}")
        self.coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
        self.seen_transition = 0

    # dating the lifecycle's moves ---------------------------------------------------------
    def dated(self, day: dt.date) -> None:
        """Date the moves recorded since the last call on ``day`` (the story's date)."""
        moves = list(
            AdvanceTransition.objects.filter(
                dispositif=self.dispositif, pk__gt=self.seen_transition
            ).order_by("pk")
        )
        for move in moves:
            move.at = _at(min(day, self.today), self.rng)
            self.seen_transition = move.pk
        AdvanceTransition.objects.bulk_update(moves, ["at"])

    # the fund ---------------------------------------------------------------------------
    def fund(self, decisions: list[Decision]) -> Fund:
        """A fund with four sources, received before the first advance, enough for all (the
        European Social Fund's part is earmarked for organisation and HR projects)."""
        fund = services.fund_create(
            dispositif=self.dispositif, name=f"Fonds d'avances {self.spec.name}"
        )
        # Its SEPA creditor identifier and account: check digits computed, numbers made up.
        national = f"{600000 + self.dispositif.pk:06d}"
        services.fund_set_collection_account(
            fund=fund,
            creditor_identifier=f"FR{at_02.calc_check_digits(f'FR00ZZZ{national}')}ZZZ{national}",
            iban=str(IBAN.generate("FR", bank_code="40031", account_code=f"{national:0>11}")),
            bic="CDCGFRPP",
        )
        first = min(
            (d.item.committee.date for d in decisions), default=self.today - dt.timedelta(400)
        )
        needed = sum((d.advance_amount for d in decisions), ZERO)
        total = max(_round_up(needed * Decimal("1.4")), Decimal("200000"))
        firm = Organisation.objects.get(slug=self.spec.firms[0])
        esf = Organisation.objects.get(slug="fonds-social-europeen")
        sources = [
            (
                ContributionKind.CAISSE_DES_DEPOTS,
                Organisation.objects.get(slug="caisse-des-depots"),
                Decimal("0.40"),
                {},
            ),
            (
                ContributionKind.REVITALISATION,
                firm,
                Decimal("0.30"),
                {
                    "agreement": f"Convention de revitalisation {firm.name} — "
                    f"bassin de {self.spec.carrier[2]}",
                    "agreement_firm": firm,
                    # What such an agreement asks of the area, for the funders' report.
                    "jobs_to_recreate": 15,
                },
            ),
            (ContributionKind.ESF, esf, Decimal("0.15"), {"earmark": "organisation"}),
            (
                ContributionKind.LOCAL_AUTHORITY,
                Organisation.objects.get(slug=region_council_slug(self.spec.region)),
                Decimal("0.15"),
                {},
            ),
        ]
        for index, (kind, organisation, portion, extra) in enumerate(sources):
            services.contribution_record(
                fund=fund,
                kind=kind,
                organisation=organisation,
                amount=_round_up(total * portion, 5_000),
                received_on=first - dt.timedelta(days=90 - 20 * index),
                by=self.animateur,
                **extra,
            )
        return fund

    # advances ---------------------------------------------------------------------------
    def repay_until(self, advance: Advance, day: dt.date, keys: list[str]) -> None:
        """One repayment on ``day`` of everything due by then and not yet paid."""
        due = sum(
            (
                i.amount
                for i in Instalment.objects.filter(
                    advance=advance, superseded_at__isnull=True, due_on__lte=day
                )
            ),
            ZERO,
        )
        outstanding = services.outstanding(advance)
        amount = due - (advance.amount - outstanding)
        if amount <= 0 or outstanding <= 0:
            return
        services.repayment_record(
            advance=advance,
            amount=min(amount, outstanding),
            received_on=day,
            idempotency_key=f"demo-{self.spec.slug}-{advance.decision_id}-{len(keys)}",
            by=self.animateur,
        )
        keys.append(day.isoformat())
        self.dated(day)

    def checkpoints(self, start: dt.date, end: dt.date, every_days: int) -> list[dt.date]:
        days, day = [], start + dt.timedelta(days=every_days)
        while day < end:
            days.append(day)
            day += dt.timedelta(days=every_days)
        return days

    def advance(self, fund: Fund, decision: Decision, story: str) -> Advance | None:
        decided = decision.item.committee.date
        count = self.rng.choice([24, 36, 48]) if story != "repaid" else 12
        advance = services.advance_create(
            decision=decision,
            fund=fund,
            instalment_count=count,
            frequency="quarterly" if count == 12 and self.rng.random() < 0.5 else "monthly",
            grace_months=self.rng.choice([3, 6, 6, 12]) if story in ("current", "approved") else 3,
            by=self.animateur,
        )
        self.dated(decided)
        if story == "approved":
            return advance
        contracted = min(decided + CONTRACT_AFTER, self.today)
        if story in ("current", "rescheduled", "in_arrears"):
            # The SME signs its direct-debit mandate with the contract.
            services.mandate_create(
                advance=advance,
                debtor_name=advance.project.company.name[:70],
                iban=str(
                    IBAN.generate("FR", bank_code="30004", account_code=f"{decision.pk:011d}")
                ),
                bic="BNPAFRPP",
                signed_on=contracted,
                by=self.animateur,
            )
        services.advance_contract(advance=advance, contracted_on=contracted, by=self.animateur)
        self.dated(contracted)
        if story == "contracted":
            return advance
        disbursed = min(decided + DISBURSE_AFTER, self.today)
        services.advance_disburse(advance=advance, disbursed_on=disbursed, by=self.animateur)
        self.dated(disbursed)
        keys: list[str] = []
        if story in ("current", "repaid", "rescheduled"):
            for day in self.checkpoints(disbursed, self.today, 120):
                self.repay_until(advance, day, keys)
            if story == "repaid":
                self.repay_until(advance, self.today, keys)
                left = services.outstanding(advance)
                if left > 0:
                    self.final_payment(advance, left, keys)
        elif story in ("in_arrears", "written_off"):
            # Paid on time for a while, then nothing more.
            stop = disbursed + (self.today - disbursed) * (2 if story == "in_arrears" else 1) / 5
            for day in self.checkpoints(disbursed, stop, 120):
                self.repay_until(advance, day, keys)
        advance.refresh_from_db()
        if story == "rescheduled" and advance.status in LIVE_STATUSES:
            services.advance_reschedule(
                advance=advance,
                instalment_count=24,
                frequency="monthly",
                first_due_on=self.today + dt.timedelta(days=30),
                reason="Commandes décalées d'un semestre : échéances réétalées sur deux ans.",
                by=self.animateur,
            )
            self.dated(self.today)
        if story == "written_off" and advance.status in LIVE_STATUSES:
            write_off = services.write_off_propose(
                advance=advance,
                reason="Liquidation judiciaire de l'entreprise ; créance déclarée, "
                "aucun actif à recouvrer.",
                by=self.animateur,
            )
            services.write_off_approve(write_off=write_off, by=self.coordinator)
            self.dated(self.today)
        return advance

    def final_payment(self, advance: Advance, left: Decimal, keys: list[str]) -> None:
        """An early repayment of the whole remainder (the company repaid in advance)."""
        services.repayment_record(
            advance=advance,
            amount=left,
            received_on=self.today,
            idempotency_key=f"demo-{self.spec.slug}-{advance.decision_id}-final",
            by=self.animateur,
        )
        self.dated(self.today)

    def cofinance(self, advance: Advance) -> None:
        """The bank loan and, sometimes, equity the project obtained besides the advance."""
        evidence = advance.contracted_on or self.today
        bank = self.rng.choice(BANKS)
        services.cofinancing_create(
            project=advance.project,
            organisation=bank,
            kind="bank_loan",
            amount=Decimal(self.rng.randint(4, 12) * 5_000),
            evidence_on=evidence,
            by=self.animateur,
        )
        if self.rng.random() < 0.4:
            services.cofinancing_create(
                project=advance.project,
                organisation="Apport des associés",
                kind="equity",
                amount=Decimal(self.rng.randint(2, 8) * 2_500),
                evidence_on=evidence,
                by=self.animateur,
            )

    def stories(self, decisions: list[Decision]) -> list[str]:
        """What happened to each advance (decisions oldest first): the newest is still to be
        contracted (the one before it, if recent, to be paid out); the oldest are repaid; among the
        others one is in arrears, one rescheduled, one written off, the rest current."""
        stories = [
            "repaid" if (self.today - d.item.committee.date).days > 1300 else "current"
            for d in decisions
        ]
        if len(stories) > 4:
            stories[0] = "repaid"  # the oldest, early if need be
        if stories:
            stories[-1] = "approved"
        if len(stories) > 1 and (self.today - decisions[-2].item.committee.date).days < 180:
            stories[-2] = "contracted"
        current = [n for n, story in enumerate(stories) if story == "current"]
        older = [n for n in current if (self.today - decisions[n].item.committee.date).days > 300]
        for story, pool in (
            ("in_arrears", older),
            ("written_off", older),
            ("rescheduled", current),
        ):
            choices = [n for n in pool if stories[n] == "current"]
            if choices:
                stories[self.rng.choice(choices)] = story
        return stories

    def run(self) -> int:
        decisions = list(
            Decision.objects.filter(
                dispositif=self.dispositif,
                outcome=DecisionOutcome.APPROVED,
                advance_amount__isnull=False,
            )
            .select_related("item__committee", "item__project")
            .order_by("item__committee__date", "pk")
        )
        fund = self.fund(decisions)
        self.seen_transition = (
            AdvanceTransition.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        for decision, story in zip(decisions, self.stories(decisions), strict=True):
            advance = self.advance(fund, decision, story)
            if advance is not None and advance.disbursed_on:
                self.cofinance(advance)
        services.arrears_refresh(dispositif=self.dispositif, today=self.today)
        return len(decisions)


@register_seeder(71, each_dispositif=True)
def seed_loans(log: Log) -> None:
    """A fund and its advances in every demo dispositif that has none yet."""
    today = timezone.localdate()
    seeded = advances = 0
    specs = share(DISPOSITIFS)
    for spec in specs:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        if Fund.objects.filter(dispositif=dispositif).exists():
            continue
        advances += LoanStorySeeder(spec, dispositif, today).run()
        seeded += 1
    log(f"loans seeded in {seeded} dispositif(s): {advances} advances")
    if seeded:
        mine = Advance.objects.filter(dispositif__slug__in=[spec.slug for spec in specs])
        counts = {status: mine.filter(status=status).count() for status in AdvanceStatus}
        log("advances by status: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
