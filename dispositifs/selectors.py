"""Read-side queries of the dispositifs app, narrowed by the access policy."""

from django.db.models import Count, Q

from alize.actions import Action

from .models import Dispositif, Membership


def dispositifs_with_member_count():
    """Dispositifs of the active scope with their active membership count, in one query
    (for commands and jobs, which run in an explicit scope and have no user)."""
    return Dispositif.objects.select_related("carrier").annotate(
        member_count=Count("membership", filter=Q(membership__left_on__isnull=True), distinct=True)
    )


def dispositif_list(user):
    """Dispositifs the user may see, with their active membership count."""
    return dispositifs_with_member_count().for_user(user, Action.VIEW_DISPOSITIF)


def dispositif_memberships(dispositif):
    """The tour de table of one dispositif, large firms last as in committee."""
    return (
        Membership.objects.filter(dispositif=dispositif)
        .select_related("organisation")
        .order_by("left_on", "kind", "organisation__name")
    )


def organisation_memberships(user, organisation):
    """An organisation's seats in the dispositifs the user may see."""
    return (
        Membership.objects.for_user(user, Action.VIEW_DISPOSITIF)
        .filter(organisation=organisation)
        .select_related("dispositif")
        .order_by("dispositif__name")
    )


def dispositifs_for(user, action: str):
    """Dispositifs where the user may ``action``, by name."""
    return Dispositif.objects.for_user(user, action).order_by("name")
