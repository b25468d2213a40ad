"""Login form (e-mail and password, with a lockout message) and the forgotten-password form."""

import uuid
from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .backends import client_ip, is_locked_out
from .tasks import send_password_reset


class LoginForm(forms.Form):
    """Authenticates by e-mail; says so when the address is locked out."""

    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autofocus": True})
    )
    password = forms.CharField(label=_("Mot de passe"), strip=False, widget=forms.PasswordInput)

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            if is_locked_out(email, client_ip(self.request)):
                minutes = int(settings.LOGIN_FAILURE_WINDOW.total_seconds() // 60)
                raise forms.ValidationError(
                    _("Trop de tentatives échouées : réessayez dans %(minutes)s minutes."),
                    code="locked_out",
                    params={"minutes": minutes},
                )
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None or not self.user.is_active:
                raise forms.ValidationError(
                    _("Adresse e-mail ou mot de passe incorrect."), code="invalid_login"
                )
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
