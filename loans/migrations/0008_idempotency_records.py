"""Back-fill the idempotency records (``alize.idempotency``) of the repayments, contributions
and co-financing recorded under a key before the records existed, with the fingerprint of
the payload each was recorded with: a replay of an old key still returns its first result,
and another payload under it answers 409."""

from django.db import migrations

from alize.idempotency import fingerprint

BATCH = 2000


def _records(Record, rows, operation, payload):
    return [
        Record(
            dispositif_id=row.dispositif_id,
            operation=operation,
            key=key,
            fingerprint=fingerprint(payload(row)),
            result_id=row.pk,
            created_at=row.recorded_at,
        )
        for row, key in rows
    ]


def backfill(apps, schema_editor):
    Record = apps.get_model("alize", "IdempotencyRecord")
    Repayment = apps.get_model("loans", "Repayment")
    FundContribution = apps.get_model("loans", "FundContribution")
    Cofinancing = apps.get_model("loans", "Cofinancing")
    keyed = [
        (
            "loans.repayment",
            Repayment.objects.all(),
            "idempotency_key",
            lambda r: {"advance": r.advance_id, "amount": r.amount, "received_on": r.received_on},
        ),
        (
            "loans.contribution",
            FundContribution.objects.filter(submission_key__isnull=False),
            "submission_key",
            lambda c: {
                "fund": c.fund_id,
                "kind": c.kind,
                "organisation": c.organisation_id,
                "agreement": c.agreement,
                "agreement_firm": c.agreement_firm_id,
                "amount": c.amount,
                "received_on": c.received_on,
                "earmark": c.earmark,
            },
        ),
        (
            "loans.cofinancing",
            Cofinancing.objects.filter(submission_key__isnull=False),
            "submission_key",
            lambda c: {
                "project": c.project_id,
                "organisation": c.organisation,
                "kind": c.kind,
                "amount": c.amount,
                "evidence_on": c.evidence_on,
            },
        ),
    ]
    for operation, rows, key_field, payload in keyed:
        batch = []
        for row in rows.order_by("pk").iterator(chunk_size=BATCH):
            batch.append((row, getattr(row, key_field)))
            if len(batch) == BATCH:
                Record.objects.bulk_create(_records(Record, batch, operation, payload))
                batch = []
        Record.objects.bulk_create(_records(Record, batch, operation, payload))


class Migration(migrations.Migration):
    dependencies = [
        ("alize", "0003_idempotency_record"),
        ("loans", "0007_cofinancing_submission_key"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
