"""The time to match and record a bank statement at national scale (issue 25): a CAMT.053
statement of ``--lines`` credits (default 2 000) for the fund with the most unpaid
instalments, paying its oldest unpaid instalments: half collected by direct debit (found by
the end-to-end id: high confidence), a quarter by transfers naming the advance's reference
(medium), a fifth by the amount and the SME's name (low), the rest unknown.

It prints, as JSON, the seconds and queries of the import with its matching, of « confirm
every high-confidence line » and of confirming the medium and low lines one by one.
Everything runs in one transaction rolled back at the end, so the run can be repeated; it
refuses the shared ``alize_bench`` database (work on a copy:
``createdb -T alize_bench alize_bench_stmt``, then ``manage.py migrate``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alize_bench_stmt \\
        python -m bench.statements --lines 2000
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alize.settings.local")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Count, F
    from django.utils import timezone

    from alize.tenancy import scope
    from loans import bank_files, services
    from loans.models import (
        LIVE_STATUSES,
        ZERO,
        Confidence,
        DirectDebitCollection,
        DirectDebitLine,
        DirectDebitMandate,
        Fund,
        Instalment,
        LineState,
    )

    class Counted:
        """Counts the SQL statements run inside it (no log kept: thousands run)."""

        def __enter__(self):
            self.count = 0
            self._wrapper = connection.execute_wrapper(self)
            self._wrapper.__enter__()
            return self

        def __call__(self, execute, sql, params, many, context):
            self.count += 1
            return execute(sql, params, many, context)

        def __exit__(self, *exc):
            self._wrapper.__exit__(*exc)

        def __len__(self):
            return self.count

    parser = argparse.ArgumentParser(prog="python -m bench.statements")
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument(
        "--import-only", action="store_true", help="measure the import and matching only"
    )
    options = parser.parse_args(argv)
    if connection.settings_dict["NAME"] == "alize_bench":
        print("Refused: measure on a copy of alize_bench, never on it.", file=sys.stderr)
        return 2
    today = timezone.localdate()
    with scope(every_dispositif=True, reason="bench: picks the fund with most instalments"):
        unpaid = Instalment.objects.filter(
            superseded_at__isnull=True, advance__status__in=LIVE_STATUSES
        ).filter(paid=0)
        fund_id = (
            Instalment.objects.filter(superseded_at__isnull=True, advance__status__in=LIVE_STATUSES)
            .values("advance__fund")
            .annotate(n=Count("pk"))
            .order_by("-n")[0]["advance__fund"]
        )
        fund = Fund.objects.get(pk=fund_id)
    with scope([fund.dispositif_id]), transaction.atomic():
        rows = list(
            unpaid.filter(advance__fund=fund, advance__disbursed_on__lte=today)
            .values(
                "pk",
                "amount",
                "advance_id",
                "due_on",
                company=F("advance__project__company__name"),
            )
            .order_by("due_on", "pk")[: options.lines]
        )
        # Payments of one advance stay within what it still owes: its unpaid instalments.
        count = len(rows)
        high, medium, low = count // 2, count // 4, count // 5
        mandates = {
            advance_id: DirectDebitMandate(
                dispositif_id=fund.dispositif_id,
                advance_id=advance_id,
                reference=f"BENCH-RUM-{advance_id}",
                debtor_name="BENCH",
                iban="FR1420041010050500013M02606",
                bic="PSSTFRPPPAR",
                signed_on=today,
            )
            for advance_id in {row["advance_id"] for row in rows[:high]}
        }
        DirectDebitMandate.objects.bulk_create(mandates.values())
        collection = DirectDebitCollection.objects.create(
            dispositif_id=fund.dispositif_id,
            fund=fund,
            collection_date=today,
            message_id=f"BENCH-{int(time.time())}",
            xml="<Document/>",
            checksum="0" * 64,
            line_count=high,
            total=sum((row["amount"] for row in rows[:high]), ZERO),
        )
        DirectDebitLine.objects.bulk_create(
            DirectDebitLine(
                dispositif_id=fund.dispositif_id,
                collection=collection,
                instalment_id=row["pk"],
                mandate=mandates[row["advance_id"]],
                amount=row["amount"],
                sequence_type="RCUR",
                end_to_end_id=f"BENCH-E2E-{row['pk']}",
            )
            for row in rows[:high]
        )
        entries = []
        for index, row in enumerate(rows):
            entry = bank_files.CamtEntry(
                today, row["amount"], reference=f"BENCH-TX-{row['pk']}", name="PAYEUR"
            )
            if index < high:
                entry.end_to_end_id = f"BENCH-E2E-{row['pk']}"
                entry.mandate_id = f"BENCH-RUM-{row['advance_id']}"
            elif index < high + medium:
                entry.text = f"Echeance AV-{row['advance_id']:06d}"
            elif index < high + medium + low:
                entry.name, entry.text = row["company"].upper(), "VIREMENT"
            else:
                entry.name, entry.text = "INCONNU", "DIVERS"
            entries.append(entry)
        content = bank_files.camt053_document(account_iban=fund.iban or "", entries=entries)

        started = time.perf_counter()
        with Counted() as imported:
            statement, _created = services.statement_import(
                fund=fund, content=content, source_format="camt053", by=None
            )
        import_seconds = time.perf_counter() - started
        lines = statement.lines.all()
        proposed = {
            level: lines.filter(state=LineState.SUGGESTED, confidence=level).count()
            for level in Confidence.values
        }

        if options.import_only:
            transaction.set_rollback(True)
            print(
                json.dumps(
                    {
                        "lines": len(entries),
                        "import_and_match_seconds": round(import_seconds, 2),
                        "proposed": proposed,
                    }
                )
            )
            return 0
        started = time.perf_counter()
        with Counted() as confirmed:
            outcome = services.statement_confirm_high(statement=statement, by=None)
        confirm_seconds = time.perf_counter() - started

        started = time.perf_counter()
        rest = list(lines.filter(state=LineState.SUGGESTED).select_related("advance"))
        with Counted() as by_hand:
            for line in rest:
                services.statement_line_confirm(line=line, by=None)
        rest_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    print(
        json.dumps(
            {
                "fund": fund.pk,
                "lines": len(entries),
                "bytes": len(content),
                "proposed": proposed,
                "unmatched": len(entries) - sum(proposed.values()),
                "import_and_match_seconds": round(import_seconds, 2),
                "import_and_match_queries": len(imported),
                "confirm_high_seconds": round(confirm_seconds, 2),
                "confirm_high_recorded": outcome.done,
                "confirm_high_refused": len(outcome.refused),
                "confirm_high_queries": len(confirmed),
                "confirm_rest_one_by_one_seconds": round(rest_seconds, 2),
                "confirm_rest_lines": len(rest),
                "confirm_rest_queries": len(by_hand),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
