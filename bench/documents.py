"""PDF rows of ``make bench``: seconds and peak memory of building a 30-dossier committee
agenda and the national annual report on the bench data set.

``python -m bench.documents agenda|national`` (``DJANGO_SETTINGS_MODULE=bench.settings``,
``DATABASE_URL`` naming the bench database) builds one PDF in memory (nothing is written
to the database or the document storage) and prints a JSON line. Each case runs in a
process of its own, so its peak resident memory (``ru_maxrss``) is its own; the seconds
count the queries and the rendering, not the start of Python and Django.
"""

from __future__ import annotations

import json
import resource
import sys
import time

AGENDA_DOSSIERS = 30
BENCH_DISPOSITIF = "bench-01"


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def agenda_case() -> tuple[bytes, dict]:
    """The agenda of the bench dispositif's latest committee, its cover followed by 30
    dossiers (the latest agenda items of the dispositif, several committees being smaller)."""
    from alize.tenancy import scope
    from committees.models import AgendaItem, Committee
    from dispositifs.models import Dispositif
    from reporting import builders, selectors
    from reporting.models import Document, DocumentKind

    with scope(every_dispositif=True, reason="bench: reads the bench dispositif"):
        dispositif = Dispositif.objects.get(slug=BENCH_DISPOSITIF)
    with scope([dispositif.pk]):
        committee = Committee.objects.filter(dispositif=dispositif).order_by("-date").first()
        items = AgendaItem.objects.filter(dispositif=dispositif).order_by(
            "-committee__date", "order"
        )
        dossiers = selectors.dossiers_of(items[:AGENDA_DOSSIERS])
        document = Document(kind=DocumentKind.AGENDA, dispositif=dispositif, committee=committee)
        content = builders.agenda_pdf(document, committee, dossiers, lambda percent: None)
    return content, {"dossiers": len(dossiers)}


def national_case() -> tuple[bytes, dict]:
    """The national annual report of the bench's busiest year (most projects approved)."""
    from django.db.models import Count
    from django.db.models.functions import ExtractYear

    from alize.tenancy import scope
    from pme.models import Project
    from reporting import builders, selectors
    from reporting.models import Document, DocumentKind, DocumentScope

    with scope(every_dispositif=True, reason="bench: the national report"):
        busiest = (
            Project.objects.filter(approved_on__isnull=False)
            .annotate(year=ExtractYear("approved_on"))
            .values("year")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        year = busiest["year"] if busiest else time.localtime().tm_year - 1
        figures = selectors.annual_figures(year, None)
        document = Document(
            kind=DocumentKind.ANNUAL_REPORT, scope=DocumentScope.NATIONAL, year=year
        )
        content = builders.annual_report_pdf(document, figures)
    approved = int(figures.values["projects_approved"] or 0)
    return content, {"year": year, "projects_approved": approved}


CASES = {"agenda": agenda_case, "national": national_case}


def main(argv: list[str] | None = None) -> int:
    import django

    case = (argv or sys.argv[1:])[0]
    django.setup()
    import weasyprint  # noqa: F401 - imported before the clock starts, as in a worker
    from django.utils import translation
    from pypdf import PdfReader

    translation.activate("fr")
    before = rss_mb()
    started = time.perf_counter()
    content, details = CASES[case]()
    seconds = time.perf_counter() - started
    import io

    pages = len(PdfReader(io.BytesIO(content)).pages)
    print(
        json.dumps(
            {
                "case": case,
                "seconds": round(seconds, 2),
                "peak_rss_mb": rss_mb(),
                "rss_before_mb": before,
                "pages": pages,
                "bytes": len(content),
                **details,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
