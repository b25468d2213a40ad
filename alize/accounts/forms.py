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
