"""The pipeline funnel page."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from alize.actions import Action
from alize.indicators import reading
from alize.web import ActionRequiredMixin
from dispositifs.access import dispositif_ids

from .. import selectors


class FunnelView(ActionRequiredMixin, TemplateView):
    """The pipeline funnel of one dispositif (or of all, for the national coordination)."""

    action = Action.MANAGE
    template_name = "pme/funnel.html"
    ALL = "all"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        options = list(selectors.managed_dispositifs(user))
        national = dispositif_ids(user, Action.MANAGE) is None
        requested = self.request.GET.get("dispositif", "")
        if requested == self.ALL and national or (not requested and national):
            selected, ids = None, None
        elif requested:
            selected = next((d for d in options if d.slug == requested), None)
            if selected is None:
                raise Http404
            ids = {selected.pk}
        elif options:
            selected, ids = options[0], {options[0].pk}
        else:
            raise Http404
        # The days to committee are an indicator: this year's, over the dispositifs shown
        # (every one the user manages for the national view), from the indicators layer.
        year = timezone.localdate().year
        shown = ids if ids is not None else dispositif_ids(user, Action.MANAGE)
        timing = reading.total(shown, year, keys=["days_to_committee", "projects_to_committee"])
        context.update(
            title=_("Entonnoir des projets"),
            options=options,
            national=national,
            selected=selected,
            funnel=selectors.pipeline_funnel_cached(ids),
            year=year,
            days_to_committee=timing["days_to_committee"],
            projects_to_committee=int(timing["projects_to_committee"].value or 0),
        )
        return context
