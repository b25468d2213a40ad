"""The public door's pages, open to anyone (``tests/test_routes_meta.py`` lists them as the
only public pages that touch tenant data). A request here has no user and so no scope;
each page that reads or writes a dispositif's rows does so inside
``alize.tenancy.public_door_scope`` of the one dispositif its URL (or its signed link)
names, and renders inside it."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache

from alize import links
from alize.accounts.backends import client_ip
from alize.rate_limits import RateLimit
from alize.tenancy import public_door_scope
from alize.web import ServiceCall

from ..models import SelfReferralStatus
from .forms import SelfReferralForm
from .selectors import as_open, open_dispositif, open_dispositifs
from .services import self_referral_confirm, self_referral_pending, self_referral_submit
from .tokens import read_confirmation

DOOR = "self-referral"


def ip_limit() -> RateLimit:
    return RateLimit(
        "self-referral-ip", settings.SELF_REFERRAL_IP_LIMIT, settings.SELF_REFERRAL_WINDOW
    )


def email_limit() -> RateLimit:
    return RateLimit(
        "self-referral-email", settings.SELF_REFERRAL_EMAIL_LIMIT, settings.SELF_REFERRAL_WINDOW
    )


def wait_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return ngettext(
        "Trop de projets déposés depuis cette connexion ou pour cette adresse : réessayez "
        "dans %(minutes)s minute.",
        "Trop de projets déposés depuis cette connexion ou pour cette adresse : réessayez "
        "dans %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


@method_decorator(never_cache, name="dispatch")
class DoorIndexView(View):
    """Every active dispositif, its communes, and the link to its form."""

    def get(self, request):
        return render(request, "pme/door/index.html", {"dispositifs": open_dispositifs()})


@method_decorator(never_cache, name="dispatch")
class DoorSubmitView(View):
    """One dispositif's form. A robot that fills the hidden field is told its project was
    sent, and nothing is stored; a form sent too fast (or unstamped) comes back with a new
    stamp. Accepted submissions are counted per IP and per e-mail address (429 past the
    limits, with ``Retry-After``); nothing reaches the animateur before the confirmation."""

    def dispatch(self, request, *args, slug: str, **kwargs):
        self.dispositifs = open_dispositifs()
        found = next((d for d in self.dispositifs if d.slug == slug), None)
        if found is None:
            raise Http404
        self.dispositif = found
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None) -> SelfReferralForm:
        return SelfReferralForm(data, dispositif=self.dispositif, dispositifs=self.dispositifs)

    def page(self, form, *, status=200, message=""):
        context = {
            "dispositif": self.dispositif,
            "dispositifs": self.dispositifs,
            "form": form,
            "message": message,
        }
        return render(self.request, "pme/door/submit.html", context, status=status)

    def get(self, request):
        return self.page(self.form())

    def post(self, request):
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.SELF_REFERRAL_MAX_BODY_BYTES:
            return HttpResponse(
                _("Le formulaire envoyé est trop volumineux."),
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        ip = client_ip(request) or "-"
        if wait := ip_limit().wait(ip):
            return self.too_many(self.form(request.POST), wait)
        form = self.form(request.POST)
        if form.trapped:
            ip_limit().hit(ip)
            return redirect("door:sent", slug=self.dispositif.slug)
        if not form.is_valid():
            if form.stamp_error:
                form.fresh()
            return self.page(form, status=400)
        email = form.cleaned_data["contact_email"]
        if wait := email_limit().wait(email):
            return self.too_many(form, wait)
        with public_door_scope(self.dispositif.pk, door=DOOR), ServiceCall(form) as call:
            self_referral_submit(
                dispositif_id=self.dispositif.pk,
                company=form.company_fields(),
                project=form.project_fields(),
                needs=form.cleaned_data["needs"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
        if call.refused:
            return self.page(form, status=400)
        ip_limit().hit(ip)
        email_limit().hit(email)
        return redirect("door:sent", slug=self.dispositif.slug)

    def too_many(self, form, seconds: int):
        response = self.page(form, status=429, message=wait_message(seconds))
        response["Retry-After"] = str(seconds)
        return response


@method_decorator(never_cache, name="dispatch")
class DoorSentView(View):
    """« Check your mailbox »: the same page whatever was stored (a robot learns nothing)."""

    def get(self, request, slug: str):
        dispositif = open_dispositif(slug)
        if dispositif is None:
            raise Http404
        hours = int(settings.SELF_REFERRAL_CONFIRM_WINDOW.total_seconds() // 3600)
        context = {"dispositif": dispositif, "valid_hours": hours}
        return render(request, "pme/door/sent.html", context)


@method_decorator(never_cache, name="dispatch")
class DoorConfirmView(View):
    """The link of the confirmation mail. GET shows the submission and one button (a mail
    scanner opening the link confirms nothing); POST confirms it, once: the project lands
    in the dispositif the signed link names. An altered link answers 400, an expired one
    410, each saying why, and neither stores anything."""

    template_name = "pme/door/confirm.html"

    def dispatch(self, request, *args, token: str, **kwargs):
        try:
            self.referral_id, self.dispositif_id = read_confirmation(token)
        except links.LinkError as error:
            return self.refused(error.reason)
        return super().dispatch(request, *args, **kwargs)

    def refused(self, reason: str):
        status = 410 if reason == "expired" else 400
        context = {"reason": reason, "index_dispositifs": open_dispositifs()}
        return render(self.request, "pme/door/confirm_refused.html", context, status=status)

    def get(self, request):
        with public_door_scope(self.dispositif_id, door=DOOR):
            with ServiceCall() as call:
                referral = self_referral_pending(referral_id=self.referral_id)
            if call.refused:
                return self.refused("expired")
            return render(request, self.template_name, self.context(referral))

    def post(self, request):
        with public_door_scope(self.dispositif_id, door=DOOR):
            with ServiceCall() as call:
                referral, done_now = self_referral_confirm(
                    referral_id=self.referral_id,
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                )
            if call.refused:
                if getattr(call.error, "code", "") == "expired":
                    return self.refused("expired")
                context = {"reason": "failed", "message": call.message}
                return render(request, "pme/door/confirm_refused.html", context, status=400)
            return render(request, self.template_name, self.context(referral, just_done=done_now))

    def context(self, referral, *, just_done: bool = False) -> dict:
        dispositif = as_open(referral.dispositif)
        data = referral.data or {}
        return {
            "confirmed": referral.status == SelfReferralStatus.CONFIRMED,
            "just_done": just_done,
            "dispositif": dispositif,
            "company": referral.company.name
            if referral.company
            else (data.get("company") or {}).get("name", ""),
            "project": referral.project.title
            if referral.project
            else (data.get("project") or {}).get("title", ""),
            "expires_at": referral.expires_at,
        }
