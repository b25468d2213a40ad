"""Login form (e-mail and password, with a lockout message) and the forgotten-password form."""

import math
import uuid
from functools import partial
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .backends import client_ip, login_wait
from .second_factor import code_verify, enrolment_confirm, second_factor_wait
from .tasks import send_password_reset


def wait_error(seconds: int) -> forms.ValidationError:
    """The login page's "come back later" error (code ``locked_out``), in seconds for a
    short delay and in minutes for a longer one."""
    if seconds < 120:
        message = ngettext_lazy(
            "Trop de tentatives échouées : réessayez dans %(seconds)s seconde.",
            "Trop de tentatives échouées : réessayez dans %(seconds)s secondes.",
            "seconds",
        )
        return forms.ValidationError(message, code="locked_out", params={"seconds": seconds})
    return forms.ValidationError(
        _("Trop de tentatives échouées : réessayez dans %(minutes)s minutes."),
        code="locked_out",
        params={"minutes": math.ceil(seconds / 60)},
    )


class LoginForm(forms.Form):
    """Authenticates by e-mail. A locked or delayed (address, IP) pair is refused before its
    password is checked; a failure that earns a delay says so with the usual error. The same
    answers for an unknown address and a wrong password. ``retry_after``: seconds, or 0."""

    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autofocus": True})
    )
    password = forms.CharField(label=_("Mot de passe"), strip=False, widget=forms.PasswordInput)

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        self.retry_after = 0
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            ip = client_ip(self.request)
            self.retry_after = login_wait(email, ip)
            if self.retry_after:
                raise wait_error(self.retry_after)
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None or not self.user.is_active:
                refused = forms.ValidationError(
                    _("Adresse e-mail ou mot de passe incorrect."), code="invalid_login"
                )
                # The failure that reaches the lock still says "incorrect"; the next try
                # learns of the lock. A delay earned by this failure is said at once.
                self.retry_after = login_wait(email, ip, lock=False)
                if self.retry_after:
                    raise forms.ValidationError([refused, wait_error(self.retry_after)])
                raise refused
        return cleaned

    def get_user(self):
        return self.user


class SecondFactorForm(forms.Form):
    """The code of the person's TOTP device, or one of their recovery codes, after the
    first factor. Failed codes are throttled like failed logins (``retry_after``: seconds,
    or 0); ``how`` tells which kind of code passed."""

    code = forms.CharField(
        label=_("Code à 6 chiffres ou code de secours"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.how: str | None = None
        self.retry_after = 0
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean() or {}
        code = cleaned.get("code")
        if code:
            user = self.request.user
            self.retry_after = second_factor_wait(user)
            if self.retry_after:
                raise wait_error(self.retry_after)
            self.how = code_verify(self.request, user, code, client_ip(self.request))
            if self.how is None:
                refused = forms.ValidationError(_("Code incorrect."), code="invalid_code")
                self.retry_after = second_factor_wait(user)
                if self.retry_after:
                    raise forms.ValidationError([refused, wait_error(self.retry_after)])
                raise refused
        return cleaned


class EnrolmentForm(forms.Form):
    """Confirms the device being enrolled with one of its codes; ``recovery_codes`` then
    holds the first set of recovery codes, in clear, to show once."""

    code = forms.CharField(
        label=_("Code à 6 chiffres affiché par l'application"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, request, device, *args, **kwargs):
        self.request = request
        self.device = device
        self.recovery_codes: list[str] = []
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean() or {}
        code = cleaned.get("code")
        if code:
            codes = enrolment_confirm(self.request, self.device, code)
            if codes is None:
                raise forms.ValidationError(
                    _("Code incorrect : vérifiez que l'heure de votre téléphone est juste."),
                    code="invalid_code",
                )
            self.recovery_codes = codes
        return cleaned


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Asks for the address of a forgotten password. For a known, active account it records
    the mail's job (``tasks.send_password_reset``, in the outbox) and queues it once the
    request commits, so that the request itself runs the same statements for any address
    and answers as fast. Each request has a key of its own: two requests send two mails
    (the older link stays valid until one of them is used)."""

    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            key = f"accounts:password-reset:{user.pk}:{uuid.uuid4().hex}"
            transaction.on_commit(partial(send_password_reset.enqueue, user_id=user.pk, key=key))
