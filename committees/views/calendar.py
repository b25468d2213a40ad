"""A member's private calendar feed: the page that gives (or revokes) its URL, and the feed
itself, read by calendar applications without a session."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from alize.actions import Action
from alize.tenancy import enter_scope, leave_scope, may, scope_for_user
from alize.web import ActionRequiredMixin

from .. import services
from ..calendar import CONTENT_TYPE, calendar_feed, invitation_ics
from ..selectors import calendar_feed_of, committee_for
from ._common import CommitteeAccessMixin

# The feed shows the committees of the last three months and every one to come.
FEED_PAST = dt.timedelta(days=90)


class CalendarFeedPageView(ActionRequiredMixin, View):
    """The person's private calendar feed: its URL to paste in a calendar application,
    and the buttons to create it or revoke it (a revoked URL stops answering)."""

    action = Action.REPLY_INVITATION
    http_method_names = ["get", "post"]

    def get(self, request):
        feed = calendar_feed_of(request.user)
        url = None
        if feed is not None:
            path = reverse("committees:calendar-feed", args=[services.calendar_feed_token(feed)])
            url = request.build_absolute_uri(path)
        return render(
            request,
            "committees/calendar_feed.html",
            {"feed": feed, "feed_url": url, "title": _("Mon agenda des comités")},
        )

    def post(self, request):
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(user=request.user)
            messages.success(request, _("Le lien de l'agenda est révoqué."))
        else:
            services.calendar_feed_open(user=request.user)
            messages.success(request, _("Le lien de votre agenda est prêt."))
        return HttpResponseRedirect(reverse("committees:calendar"))


class CalendarFeedView(View):
    """The feed (iCalendar), for the person whose signed key is in the URL: the committees
    they may read, in their scope. A bad or revoked key answers 404."""

    def get(self, request, token):
        user = services.calendar_feed_owner(token)
        if user is None:
            raise Http404
        scope_token = enter_scope(scope_for_user(user))
        try:
            if not may(user, Action.REPLY_INVITATION):
                raise Http404
            since = timezone.localdate() - FEED_PAST
            committees = committee_for(user).filter(date__gte=since).order_by("date", "pk")
            body = calendar_feed(committees, name=_("Comités Alizé"))
        finally:
            leave_scope(scope_token)
        return HttpResponse(body, content_type=CONTENT_TYPE)


class CommitteeInvitationView(CommitteeAccessMixin, View):
    """The committee's invitation (iCalendar) to add it to one's calendar."""

    def get(self, request, pk):
        committee = self.get_committee(pk)
        response = HttpResponse(
            invitation_ics(committee, attendee=request.user), content_type=CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="comite-{committee.date}.ics"'
        return response
