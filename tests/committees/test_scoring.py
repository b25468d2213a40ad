"""The optional scoring grid: weighted criteria per dispositif, members' scores of a coming
committee's dossiers (0 to 5, changeable until it is held, never by a recused
organisation), the weighted average and spread on the committee page, in the minutes only
when the dispositif says so; the web and the API by role."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alize.errors import ApplicationError
from alize.tenancy import scope
from committees import services
from committees.models import DossierScore, ScoringCriterion
from committees.scoring import dossier_scoring, weighted_score
from committees.selectors import committee_scorings
from dispositifs.models import Dispositif
from pme.models import Stage
from reporting import builders, runner
from reporting import services as reporting_services
from reporting.models import DocumentKind
from tests.clock import TODAY
from tests.conftest import ROLES, api_client_for
from tests.factories import CommitteeFactory, MembershipFactory, OrganisationFactory, project_at
from tests.query_counts import assert_queries_do_not_grow
from tests.reporting.conftest import pdf_text


def seat(dispositif, name, kind="bank"):
    organisation = OrganisationFactory(name=name, kind=kind)
    MembershipFactory(dispositif=dispositif, organisation=organisation)
    return organisation


class Grid:
    """A committee of ``dispositif`` sitting today with one dossier, two seated banks and,
    unless ``criteria`` is False, three criteria (jobs ×3, viability ×2, local ties ×1)."""

    def __init__(self, dispositif, *, criteria=True):
        self.dispositif = dispositif
        self.bank = seat(dispositif, f"Banque {dispositif.slug}")
        self.cci = seat(dispositif, f"CCI {dispositif.slug}", "consular")
        self.committee = CommitteeFactory(dispositif=dispositif, date=TODAY, place="Salle")
        project = project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
        with scope([dispositif]):
            self.item = services.agenda_add_project(
                committee=self.committee, project=project, by=None
            )
            self.criteria = (
                [
                    services.criterion_create(
                        dispositif=dispositif, name="Création d'emplois", weight=3, order=1
                    ),
                    services.criterion_create(
                        dispositif=dispositif, name="Viabilité", weight=2, order=2
                    ),
                    services.criterion_create(
                        dispositif=dispositif, name="Ancrage local", weight=1, order=3
                    ),
                ]
                if criteria
                else []
            )

    def marks(self, *scores) -> dict[int, int]:
        return {c.pk: s for c, s in zip(self.criteria, scores, strict=True)}


@pytest.fixture
def grid(world):
    return Grid(world.a)


# --- The computation ------------------------------------------------------------------------


def test_weighted_score_is_the_sum_of_weight_times_score_over_the_weights():
    assert weighted_score([(3, 4), (2, 2), (1, 5)]) == Decimal(21) / Decimal(6)  # 3.5
    with pytest.raises(ValueError):
        weighted_score([])


def test_average_over_organisations_and_spread_to_one_decimal():
    scoring = dossier_scoring(
        {
            1: [(3, 4), (2, 2), (1, 5)],  # 21 / 6 = 3.5
            2: [(3, 5), (2, 5), (1, 5)],  # 5.0
            3: [(3, 1), (2, 0), (1, 1)],  # 4 / 6 = 0.67
        }
    )
    assert scoring.average == Decimal("3.1")  # (3.5 + 5 + 0.667) / 3 = 3.06
    assert (scoring.low, scoring.high) == (Decimal("0.7"), Decimal("5.0"))
    assert scoring.organisations == 3
    assert dossier_scoring({}) is None


def test_scores_recorded_give_the_committee_its_average_and_spread(world, grid):
    with scope([world.a]):
        services.dossier_score(
            item=grid.item, organisation=grid.bank, scores=grid.marks(4, 2, 5), by=None
        )
        services.dossier_score(
            item=grid.item, organisation=grid.cci, scores=grid.marks(2, 3, 3), by=None
        )  # 15 / 6 = 2.5
        scoring = committee_scorings(grid.committee)[grid.item.pk]
    assert scoring.average == Decimal("3.0")
    assert (scoring.low, scoring.high, scoring.organisations) == (
        Decimal("2.5"),
        Decimal("3.5"),
        2,
    )


def test_a_new_score_replaces_the_previous_one_once_per_organisation(world, grid):
    with scope([world.a]):
        services.dossier_score(
            item=grid.item, organisation=grid.bank, scores=grid.marks(1, 1, 1), by=None
        )
        services.dossier_score(
            item=grid.item, organisation=grid.bank, scores=grid.marks(5, 5, 5), by=None
        )
        assert DossierScore.objects.count() == 3
        assert committee_scorings(grid.committee)[grid.item.pk].average == Decimal("5.0")


# --- The rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, 6, "3"])
def test_a_score_is_an_integer_from_0_to_5(world, grid, bad):
    with scope([world.a]), pytest.raises(ValidationError) as refused:
        services.dossier_score(
            item=grid.item, organisation=grid.bank, scores={grid.criteria[0].pk: bad}, by=None
        )
    assert "entier de 0 à 5" in str(refused.value)
    assert not DossierScore.unscoped_objects.exists()


def test_a_recused_organisation_may_not_score_the_dossier(world, grid):
    with scope([world.a]):
        services.interest_declare(item=grid.item, organisation=grid.bank, kind="creditor", by=None)
        with pytest.raises(ApplicationError) as refused:
            services.dossier_score(
                item=grid.item, organisation=grid.bank, scores=grid.marks(3, 3, 3), by=None
            )
    assert "a déclaré un intérêt" in str(refused.value)
    assert grid.bank.name in str(refused.value)
    assert not DossierScore.unscoped_objects.exists()


def test_once_the_committee_is_held_scores_no_longer_change(world, grid):
    with scope([world.a]):
        services.dossier_score(
            item=grid.item, organisation=grid.bank, scores=grid.marks(3, 3, 3), by=None
        )
        services.committee_set_status(committee=grid.committee, status="held")
        grid.committee.refresh_from_db()
        grid.item.refresh_from_db()
        with pytest.raises(ApplicationError) as refused:
            services.dossier_score(
                item=grid.item, organisation=grid.bank, scores=grid.marks(0, 0, 0), by=None
            )
        assert set(DossierScore.objects.values_list("score", flat=True)) == {3}
    assert "Le comité est tenu" in str(refused.value)


def test_a_criterion_in_another_dispositif_or_inactive_is_refused(world, grid):
    other = Grid(world.b)
    with scope([world.a, world.b]):
        with pytest.raises(ValidationError):
            services.dossier_score(
                item=grid.item,
                organisation=grid.bank,
                scores={other.criteria[0].pk: 3},
                by=None,
            )
        criterion = grid.criteria[2]
        services.criterion_update(
            criterion=criterion, name=criterion.name, weight=1, order=3, active=False
        )
        with pytest.raises(ValidationError):
            services.dossier_score(
                item=grid.item, organisation=grid.bank, scores={criterion.pk: 3}, by=None
            )


def test_criteria_are_validated_and_a_used_one_is_only_deactivated(world, grid):
    with scope([world.a]):
        with pytest.raises(ValidationError) as refused:
            services.criterion_create(dispositif=world.a, name=" ", weight=11)
        assert set(refused.value.message_dict) == {"name", "weight"}
        with pytest.raises(ValidationError) as refused:
            services.criterion_create(dispositif=world.a, name="viabilité", weight=2)
        assert "déjà un critère de ce nom" in str(refused.value)
        with pytest.raises(ValidationError):
            services.criterion_create(dispositif=world.a, name="Innovation", weight=0)
        unused = services.criterion_create(dispositif=world.a, name="Innovation", weight=10)
        services.criterion_delete(criterion=unused)

        used = grid.criteria[0]
        services.dossier_score(item=grid.item, organisation=grid.bank, scores={used.pk: 4}, by=None)
        with pytest.raises(ApplicationError):
            services.criterion_delete(criterion=used)
        with pytest.raises(ApplicationError):
            services.criterion_update(criterion=used, name=used.name, weight=1, order=1)
        services.criterion_update(
            criterion=used, name=used.name, weight=used.weight, order=1, active=False
        )
        assert ScoringCriterion.objects.filter(pk=used.pk, active=False).exists()
        assert not ScoringCriterion.objects.filter(name="Innovation").exists()


# --- The committee page ---------------------------------------------------------------------


def test_without_criteria_nothing_about_scores_shows(world, client):
    table = Grid(world.a, criteria=False)
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    for user in (world.animateur_a, world.member_a):
        client.force_login(user)
        page = client.get(reverse("committees:detail", args=[table.committee.pk])).content
        page = page.decode()
        assert "data-scoring" not in page and "Noter ce dossier" not in page
        assert "Moyenne pondérée" not in page


def test_the_page_shows_average_spread_count_and_that_scores_are_not_a_vote(world, client, grid):
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    with scope([world.a]):
        services.dossier_score(
            item=grid.item, organisation=grid.bank, scores=grid.marks(4, 2, 5), by=None
        )
        services.dossier_score(
            item=grid.item, organisation=grid.cci, scores=grid.marks(2, 3, 3), by=None
        )
    client.force_login(world.animateur_a)
    page = client.get(reverse("committees:detail", args=[grid.committee.pk])).content.decode()
    assert "Moyenne pondérée 3,0 / 5 (écart 2,5–3,5), notée par 2 organisations." in page
    assert "elles ne sont pas un vote" in page
    assert "Noter ce dossier" not in page  # the animateur does not score
    client.force_login(world.member_a)
    page = client.get(reverse("committees:detail", args=[grid.committee.pk])).content.decode()
    assert "Noter ce dossier" in page and f"id_s{grid.item.pk}_c{grid.criteria[0].pk}" in page


def test_a_member_scores_on_their_page_and_a_recused_member_is_told_why(world, client, grid):
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    client.force_login(world.member_a)
    url = reverse("committees:score", args=[grid.item.pk])
    data = {"organisation": world.member_organisation_a.pk}
    data.update({f"c{c.pk}": "4" for c in grid.criteria})
    assert client.post(url, data).status_code == 302
    assert (
        DossierScore.unscoped_objects.filter(
            organisation=world.member_organisation_a, score=4
        ).count()
        == 3
    )
    with scope([world.a]):
        services.interest_declare(
            item=grid.item, organisation=world.member_organisation_a, kind="supplier", by=None
        )
    response = client.post(url, data)
    assert response.status_code == 400
    assert "a déclaré un intérêt" in response.content.decode()


# --- The minutes ----------------------------------------------------------------------------


def minutes_text(world, committee) -> str:
    with scope([world.a]):
        services.committee_set_status(committee=committee, status="held")
        document = reporting_services.document_request(
            kind=DocumentKind.MINUTES, committee=committee, by=None
        )
    with runner.document_scope(document):
        return pdf_text(builders.build(document, lambda _step: None).content)


@pytest.mark.parametrize("printed", [False, True])
def test_minutes_print_the_scores_only_when_the_dispositif_says_so(world, grid, printed):
    Dispositif.unscoped_objects.filter(pk=world.a.pk).update(scores_in_minutes=printed)
    with scope([world.a]):
        services.dossier_score(
            item=grid.item, organisation=grid.bank, scores=grid.marks(4, 2, 5), by=None
        )
    text = minutes_text(world, grid.committee)
    assert ("Note moyenne 3,5 / 5" in text) == printed, text
    assert ("écart 3,5–3,5, 1 notes" in text) == printed


# --- Routes by role -------------------------------------------------------------------------


@pytest.fixture
def grids(world):
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    return Grid(world.a), Grid(world.b)


def runs(role, grid, grids) -> bool:
    mine, _theirs = grids
    return role == "coordinator" or role == ("animateur" if grid is mine else "animateur_b")


@pytest.mark.parametrize("role", ROLES)
def test_criteria_pages_are_for_those_who_run_the_dispositif(world, client, grids, role):
    client.force_login(world.user(role))
    for grid in grids:
        allowed = runs(role, grid, grids)
        criterion = grid.criteria[2]
        page = client.get(reverse("committees:criteria", args=[grid.dispositif.pk]))
        assert page.status_code == (200 if allowed else 404), (role, page.status_code)
        added = client.post(
            reverse("committees:criteria", args=[grid.dispositif.pk]),
            {"name": "Innovation", "weight": "2", "order": "4", "active": "on"},
        )
        changed = client.post(
            reverse("committees:criterion-update", args=[criterion.pk]),
            {"name": "Ancrage territorial", "weight": "2", "order": "3", "active": "on"},
        )
        removed = client.post(reverse("committees:criterion-delete", args=[grid.criteria[1].pk]))
        names = set(
            ScoringCriterion.unscoped_objects.filter(dispositif=grid.dispositif).values_list(
                "name", flat=True
            )
        )
        codes = (added.status_code, changed.status_code, removed.status_code)
        if allowed:
            assert codes == (302, 302, 302)
            assert names == {"Création d'emplois", "Ancrage territorial", "Innovation"}
        else:
            assert codes == (404, 404, 404), (role, codes)
            assert names == {"Création d'emplois", "Viabilité", "Ancrage local"}


def test_a_refused_criterion_shows_the_page_again(world, client, grids):
    mine, _theirs = grids
    client.force_login(world.animateur_a)
    response = client.post(
        reverse("committees:criteria", args=[mine.dispositif.pk]),
        {"name": "Viabilité", "weight": "12", "order": "0"},
    )
    assert response.status_code == 400
    assert "déjà un critère de ce nom" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_scoring_on_the_web_is_for_members_on_their_dispositif(world, client, grids, role):
    mine, theirs = grids
    client.force_login(world.user(role))
    for grid in (mine, theirs):
        organisation = world.member_organisation_a if role == "member" else grid.bank
        data = {"organisation": organisation.pk}
        data.update({f"c{c.pk}": "3" for c in grid.criteria})
        response = client.post(reverse("committees:score", args=[grid.item.pk]), data)
        allowed = role == "coordinator" or (role == "member" and grid is mine)
        stored = DossierScore.unscoped_objects.filter(item=grid.item).exists()
        assert (response.status_code == 302 and stored) == allowed, (role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_scoring_in_the_api_by_role(world, grids, role):
    mine, theirs = grids
    api = api_client_for(world.user(role))
    for grid in (mine, theirs):
        organisation = world.member_organisation_a if role == "member" else grid.bank
        url = reverse("api:committee-scores", args=[grid.committee.pk])
        response = api.post(
            url,
            {
                "item": grid.item.pk,
                "organisation": organisation.pk,
                "scores": [{"criterion": c.pk, "score": 5} for c in grid.criteria],
            },
            format="json",
        )
        allowed = role == "coordinator" or (role == "member" and grid is mine)
        assert (response.status_code == 200) == allowed, (role, response.status_code)
        if allowed:
            assert response.json()[0]["average"] == "5.0"
            read = api.get(url)
            assert read.status_code == 200 and read.json()[0]["organisations"] == 1


def test_the_criteria_page_costs_the_same_with_more_criteria(world, client, grid):
    client.force_login(world.animateur_a)
    url = reverse("committees:criteria", args=[world.a.pk])

    def add_rows():
        with scope([world.a]):
            services.dossier_score(
                item=grid.item, organisation=grid.bank, scores=grid.marks(1, 2, 3), by=None
            )
            services.criterion_create(dispositif=world.a, name="Innovation", weight=2)
            services.criterion_create(dispositif=world.a, name="Export", weight=1)

    page = assert_queries_do_not_grow("committees:criteria", lambda: client.get(url), add_rows)
    assert "Innovation" in page.content.decode()
    assert "seulement désactivable" in page.content.decode()
