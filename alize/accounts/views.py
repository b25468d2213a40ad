"""Login, logout, the language switch and the home page, whose panels depend on the user's
roles."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import LogoutView as DjangoLogoutView
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django.views.i18n import set_language as django_set_language

from alize.panels import render_panels
from alize.web import InvalidFormStatusMixin, SignedInMixin

from .backends import client_ip
from .forms import EnrolmentForm, LoginForm, PasswordResetForm, SecondFactorForm
from .oidc import provider_configured
from .second_factor import SESSION_KEY as SECOND_FACTOR_SESSION_KEY
from .second_factor import (
    confirmed_device,
    enrolment_device,
    qr_svg,
    recovery_codes_left,
    second_factor_required,
    secret_text,
)
from .services import user_language_set


def safe_next(request, next_url: str) -> str:
    """``next_url`` when it leads back to this site, else an empty string."""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            login(request, form.get_user())
            return redirect(safe_next(request, next_url) or "home")
        status = 400
        if form.retry_after:
            status = 429  # this address failed too often from this IP: come back later
    context = {"form": form, "next": next_url, "organisation_login": provider_configured()}
    response = render(request, "registration/login.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(form.retry_after)
    return response


def _retry_response(response, retry_after: int):
    if retry_after:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def second_factor_verify(request):
    """After the password or the organisation's account: the code of the person's device,
    or a recovery code (single use). Failures are throttled like failed logins."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if user.is_verified():
        return redirect(next_url or "home")
    if confirmed_device(user) is None:  # the device was withdrawn meanwhile
        request.session[SECOND_FACTOR_SESSION_KEY] = "none"
        return redirect("second_factor_enrol" if second_factor_required(user) else "home")
    form = SecondFactorForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if form.how == "recovery":
                left = recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "Code de secours utilisé : il vous en reste %(count)s. Réactivez "
                        "le second facteur pour en obtenir de nouveaux.",
                        "Code de secours utilisé : il vous en reste %(count)s. Réactivez "
                        "le second facteur pour en obtenir de nouveaux.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(next_url or "home")
        status = 400
    response = render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": next_url},
        status=status,
    )
    return _retry_response(response, form.retry_after)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def second_factor_enrol(request):
    """Enrols a TOTP application (QR code and secret in text), confirmed by one of its
    codes; then shows the recovery codes once. A person whose current device is still to
    pass is sent to its code first: a new device never stands in for a due code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if not user.is_verified() and confirmed_device(user) is not None:
        return redirect("second_factor_verify")
    device = enrolment_device(user)
    form = EnrolmentForm(request, device, data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            return render(
                request,
                "registration/second_factor_recovery_codes.html",
                {"codes": form.recovery_codes, "next": next_url or reverse("home")},
            )
        status = 400
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": qr_svg(device.config_url),
        "secret": secret_text(device),
        "required": second_factor_required(user),
    }
    return render(request, "registration/second_factor_enrol.html", context, status=status)


@require_POST
def set_language(request):
    """Django's language switch (cookie), which a signed-in user's account also keeps: the
    e-mails the platform sends them use that language (``User.language``)."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if (
        user.is_authenticated
        and language in {code for code, _name in settings.LANGUAGES}
        and user.language != language
    ):
        user_language_set(user=user, language=language)
    return response


class LogoutView(DjangoLogoutView):
    """Logs out on POST only (CSRF-protected)."""


class PasswordChangeView(InvalidFormStatusMixin, auth_views.PasswordChangeView):
    """The signed-in user changes their password; the session stays open. A refused form
    answers 400 with its field errors, like every form of the platform."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    """Confirms the new password."""

    template_name = "registration/password_change_done.html"


def password_reset_allowed(email: str, ip: str | None) -> bool:
    """Count a reset request of ``email`` from ``ip``; False once either went over its limit
    within the window. Known and unknown addresses count alike (nothing to enumerate)."""
    window = int(settings.PASSWORD_RESET_WINDOW.total_seconds())
    allowed = True
    for key, limit in (
        (f"password-reset:address:{email.strip().lower()}", settings.PASSWORD_RESET_LIMIT),
        (f"password-reset:ip:{ip or '-'}", settings.PASSWORD_RESET_IP_LIMIT),
    ):
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
        allowed = allowed and count <= limit
    return allowed


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    """ "Mot de passe oublié ?": the same answer for every address, known or not; a mail with
    a single-use link to the known ones; too many requests per address or IP answer 429."""

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        if not password_reset_allowed(form.cleaned_data["email"], client_ip(self.request)):
            minutes = int(settings.PASSWORD_RESET_WINDOW.total_seconds() // 60)
            form.add_error(
                None,
                _("Trop de demandes : réessayez dans %(minutes)s minutes.") % {"minutes": minutes},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(minutes * 60)
            return response
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    """Says a mail is on its way if the address is known (the same page for any address)."""

    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    """The link of the mail: a new password, checked by the project's validators; the
    link's token no longer works once the password changed (single use)."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    """Confirms the new password and points to the login page."""

    template_name = "registration/password_reset_complete.html"


class HomeView(SignedInMixin, TemplateView):
    """The user's start page: the panels apps contribute to "home" for what this user does."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = render_panels("home", self.request)
        return context
