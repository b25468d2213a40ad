"""Read-side queries of the dispositifs app. They run inside the caller's scope."""

from django.db.models import Count, Q

from .models import Dispositif, Membership


def dispositif_list():
    """Dispositifs in scope with their active membership count, in one query."""
    return Dispositif.objects.select_related("carrier").annotate(
        member_count=Count("membership", filter=Q(membership__left_on__isnull=True), distinct=True)
    )


def dispositif_memberships(dispositif):
    """The tour de table of one dispositif, large firms last as in committee."""
    return (
        Membership.objects.filter(dispositif=dispositif)
        .select_related("organisation")
        .order_by("left_on", "kind", "organisation__name")
    )
