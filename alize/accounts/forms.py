"""Login form (e-mail and password, with a lockout message) and the forgotten-password form."""

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.mail import absolute_url, send_once

from .backends import client_ip, is_locked_out


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
        cleaned = super().clean()
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
    """Asks for the address of a forgotten password. The mail goes through the mail layer,
    in the person's language, with a key of its own per request: two requests send two
    mails (the older link stays valid until one of them is used)."""

    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        path = reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        send_once(
            key=f"accounts:password-reset:{user.pk}:{uuid.uuid4().hex}",
            to=user,
            template="accounts/password_reset",
            context={
                "email": user.email,
                "reset_url": absolute_url(path),
                "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            },
        )
