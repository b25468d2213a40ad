"""The tenancy core fails closed: no scope, no data; outside the scope, nothing."""

import pytest
from celery import shared_task
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models

from alize.tasks import ScopedTask
from alize.tenancy import (
    ScopeError,
    active_scope,
    check_models_are_classified,
    public_door_scope,
    scope,
    unclassified_models,
)
from dispositifs.models import Dispositif, Membership
from tests.factories import DispositifFactory, MembershipFactory


def test_a_query_without_scope_raises(world):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Dispositif.objects.count()
    with pytest.raises(ScopeError):
        Membership.objects.filter(kind="carrier").exists()


def test_querysets_can_be_declared_without_scope_and_run_inside_one(world):
    declared = Membership.objects.select_related("organisation")  # import-time declaration
    MembershipFactory(dispositif=world.a)
    MembershipFactory(dispositif=world.b)
    with scope([world.a]):
        assert {m.dispositif_id for m in declared.all()} == {world.a.pk}
    with scope([world.b]):
        assert {m.dispositif_id for m in declared.all()} == {world.b.pk}


def test_scope_filters_counts_aggregates_subqueries_and_values(world):
    MembershipFactory(dispositif=world.a)  # A's second seat, beside the world's firm
    MembershipFactory.create_batch(3, dispositif=world.b)
    with scope([world.a]):
        assert Membership.objects.count() == 2
        assert Membership.objects.aggregate(n=models.Count("id"))["n"] == 2
        assert len(list(Membership.objects.values_list("id", flat=True).iterator())) == 2
        inner = Membership.objects.values("organisation_id")
        from partners.models import Organisation

        assert Organisation.objects.filter(pk__in=inner).count() == 2
        assert Dispositif.objects.get() == world.a


def test_exclude_across_a_reverse_relation_stays_scoped(world):
    from committees.models import AgendaItem
    from pme.models import Project
    from tests.factories import CommitteeFactory, project_at

    on_agenda = project_at("on_agenda", dispositif=world.a)
    waiting = project_at("in_instruction", dispositif=world.a)
    project_at("in_instruction", dispositif=world.b)
    committee = AgendaItem.unscoped_objects.get(project=on_agenda).committee
    CommitteeFactory(dispositif=world.b)
    with scope([world.a]):
        assert list(Project.objects.exclude(agenda_items__committee=committee)) == [waiting]
        assert Project.objects.exclude(agenda_items__isnull=False).count() == 1


def test_update_and_delete_touch_only_the_scope(world):
    MembershipFactory(dispositif=world.a, pledged_hours_per_year=1)
    other = MembershipFactory(dispositif=world.b, pledged_hours_per_year=1)
    with scope([world.a]):
        # A holds this seat and the world's firm seat.
        assert Membership.objects.update(pledged_hours_per_year=99) == 2
        Membership.objects.all().delete()
    other_after = Membership.unscoped_objects.get(pk=other.pk)
    assert other_after.pledged_hours_per_year == 1
    assert Membership.unscoped_objects.count() == 1


def test_writes_outside_the_scope_are_refused(world):
    membership = MembershipFactory(dispositif=world.b)
    with scope([world.a]):
        membership.pledged_hours_per_year = 5
        with pytest.raises(PermissionDenied):
            membership.save()
        with pytest.raises(PermissionDenied):
            Membership(
                dispositif=world.b, organisation=membership.organisation, kind="funder"
            ).save()
    with pytest.raises(ScopeError):
        membership.save()


def test_bulk_create_obeys_the_scope(world):
    organisation = MembershipFactory(dispositif=world.a).organisation
    rows = [Membership(dispositif=world.b, organisation=organisation, kind="funder")]
    with pytest.raises(ScopeError):
        Membership.objects.bulk_create(rows)
    with scope([world.a]), pytest.raises(PermissionDenied):
        Membership.objects.bulk_create(rows)
    with scope([world.b]):
        assert len(Membership.objects.bulk_create(rows)) == 1
    assert Membership.unscoped_objects.filter(dispositif=world.b).count() == 1


def test_public_door_scope_opens_one_named_dispositif_and_nothing_else(world):
    own = MembershipFactory(dispositif=world.a)
    other = MembershipFactory(dispositif=world.b)
    assert active_scope() is None
    with public_door_scope(world.a.pk, door="test: a signed link") as active:
        assert active.dispositif_ids == {world.a.pk} and not active.everything
        assert active.reason == "public door: test: a signed link"
        seen = set(Membership.objects.values_list("dispositif_id", flat=True))
        assert seen == {world.a.pk}
        own.pledged_hours_per_year = 12
        own.save()
        other.pledged_hours_per_year = 12
        with pytest.raises(PermissionDenied):
            other.save()
    assert active_scope() is None
    with pytest.raises(ValueError, match="names its door"):
        public_door_scope(world.a.pk, door=" ").__enter__()
    for not_one in ([world.a.pk], "1", None, True):
        with pytest.raises(TypeError, match="one dispositif id"):
            public_door_scope(not_one, door="test").__enter__()


def test_the_tenant_of_a_row_cannot_change(world):
    created = MembershipFactory(dispositif=world.a)
    with scope(every_dispositif=True, reason="test"):
        membership = Membership.objects.get(pk=created.pk)
        membership.dispositif = world.b
        with pytest.raises(ScopeError):
            membership.save()
        with pytest.raises(ScopeError):
            Membership.objects.update(dispositif=world.b)
        with pytest.raises(ScopeError):
            Membership.objects.filter(pk=membership.pk).update(dispositif_id=world.b.pk)
    assert Membership.unscoped_objects.get(pk=created.pk).dispositif_id == world.a.pk


def test_every_dispositif_scope_needs_a_reason():
    with pytest.raises(ValueError), scope(every_dispositif=True):
        pass


def test_scope_is_left_even_on_error(world):
    with pytest.raises(RuntimeError), scope([world.a]):
        raise RuntimeError
    assert active_scope() is None


@shared_task(base=ScopedTask, name="tests.probe")
def probe(*, dispositif):
    return sorted(Dispositif.objects.values_list("pk", flat=True))


@shared_task(base=ScopedTask, name="tests.national_probe", national=True)
def national_probe(*, dispositif):
    return sorted(Dispositif.objects.values_list("pk", flat=True))


def test_scoped_task_reenters_the_scope_of_its_dispositif(world):
    assert probe.apply(kwargs={"dispositif_id": world.b.pk}).get() == [world.b.pk]
    assert active_scope() is None
    with pytest.raises(ScopeError):
        probe.apply().get()
    fanned_out = national_probe.apply().get()
    assert {dispositif_id for dispositif_id, _task in fanned_out} >= {world.a.pk, world.b.pk}


def test_scoped_command_enters_a_scope(world, capsys):
    from django.core.management import call_command

    call_command("list_dispositifs", dispositif=[world.a.slug])
    out = capsys.readouterr().out
    assert world.a.slug in out and world.b.slug not in out
    call_command("list_dispositifs")
    out = capsys.readouterr().out
    assert world.a.slug in out and world.b.slug in out


def test_every_tenant_app_model_is_scoped_or_global():
    assert unclassified_models() == []
    assert check_models_are_classified() == []


def test_the_check_fails_for_an_unclassified_model():
    class Rogue(models.Model):
        class Meta:
            app_label = "pme"

        def __str__(self):
            return "rogue"

    try:
        errors = check_models_are_classified()
        assert [e.id for e in errors] == ["alize.E001"]
        assert "pme.Rogue" in errors[0].msg
    finally:
        del apps.all_models["pme"]["rogue"]
        apps.clear_cache()


def test_dispositif_factory_rows_are_visible_to_a_national_scope(db):
    DispositifFactory.create_batch(2)
    with scope(every_dispositif=True, reason="test"):
        assert Dispositif.objects.count() == 2
