"""The funnel is cached per scope and recomputed as soon as projects or companies change."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from alize.tenancy import scope
from pme import selectors, services
from pme.models import Stage
from tests.factories import CompanyFactory, project_at


def funnel_of(ids):
    with scope(every_dispositif=True, reason="test"):
        return selectors.pipeline_funnel_cached(ids)


def test_funnel_is_served_from_the_cache_until_projects_change(world):
    project_at(Stage.REFERRED, dispositif=world.a)
    first = funnel_of({world.a.pk})
    assert first.total == 1
    with CaptureQueriesContext(connection) as queries:
        assert funnel_of({world.a.pk}) == first
    assert len(queries) == 0

    project = project_at(Stage.REFERRED, dispositif=world.a)
    assert funnel_of({world.a.pk}).total == 2
    with scope(every_dispositif=True, reason="test"):
        services.project_transition(project=project, to_stage=Stage.QUALIFIED, by=None)
    counts = {bar.key: bar.count for bar in funnel_of({world.a.pk}).stages}
    assert counts[Stage.REFERRED] == 1
    assert counts[Stage.QUALIFIED] == 1


def test_funnel_is_cached_per_scope(world):
    project_at(Stage.REFERRED, dispositif=world.a)
    project_at(Stage.REFERRED, dispositif=world.b)
    project_at(Stage.REFERRED, dispositif=world.b)
    assert funnel_of({world.a.pk}).total == 1
    assert funnel_of({world.b.pk}).total == 2
    assert funnel_of(None).total == 3


def test_an_exception_recorded_shows_at_once(world):
    company = CompanyFactory(dispositif=world.a)
    assert funnel_of({world.a.pk}).exceptions == 0
    with scope(every_dispositif=True, reason="test"):
        services.company_record_exception(
            company=company, reason="Reprise d'un site industriel.", by=world.animateur_a
        )
    assert funnel_of({world.a.pk}).exceptions == 1
