"""The second factor: a TOTP device (django-otp) with single-use recovery codes.

Whoever holds a confirmed device passes its code at each sign-in, by password or by the
organisation's account; the roles of ``SECOND_FACTOR_ROLES`` (those that move money or read
personal data) must enrol before anything else. ``SecondFactorMiddleware`` holds every
page of a signed-in session until then. Failed codes count as failed logins of the person
(``LoginFailure``, step "second factor"): past ``LOGIN_FAILURE_LIMIT`` within the window,
codes are refused until the failures age out. API tokens never meet this step: they
authenticate each request of a machine client, with no sign-in to complete.
"""

import math
import secrets
from base64 import b32encode

import qrcode
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.checks import Error, Tags, register
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from .models import LoginFailure, RecoveryCode, Role, User
from .roles import roles_of

# The pages a signed-in person reaches before passing the second factor.
OPEN_ROUTES = {
    "accessibility",
    "second_factor_verify",
    "second_factor_enrol",
    "logout",
    "set_language",
    "login",
    "oidc_login",
    "oidc_callback",
}
# Recovery codes: ten characters of an alphabet without look-alikes, shown as two groups.
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 10


# What the sign-in found, kept in the session so that pages do not ask again: "due" (the
# person has a device) or "none".
SESSION_KEY = "alize_second_factor"


def second_factor_required(user: User) -> bool:
    """Does a role of this person oblige them to a second factor?"""
    required = set(settings.SECOND_FACTOR_ROLES)
    return bool(required and roles_of(user) & required)


@register(Tags.security)
def check_second_factor_roles(app_configs=None, **kwargs):
    """A misspelt role in ``SECOND_FACTOR_ROLES`` would silently require nothing."""
    unknown = sorted(set(settings.SECOND_FACTOR_ROLES) - set(Role.values))
    if not unknown:
        return []
    return [
        Error(
            f"SECOND_FACTOR_ROLES names unknown roles: {', '.join(unknown)}.",
            hint=f"Roles: {', '.join(Role.values)}; or 'none'.",
            id="accounts.E001",
        )
    ]


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def second_factor_wait(user: User) -> int:
    """Seconds before this person may try a code again: the whole window once their codes
    failed ``LOGIN_FAILURE_LIMIT`` times within it (from any address: whoever tries codes
    already holds the first factor), else 0."""
    failures = LoginFailure.objects.filter(
        email=user.email,
        step=LoginFailure.Step.SECOND_FACTOR,
        at__gte=timezone.now() - settings.LOGIN_FAILURE_WINDOW,
    ).count()
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        return math.ceil(settings.LOGIN_FAILURE_WINDOW.total_seconds())
    return 0


def _code_hash(user: User, code: str) -> str:
    normalised = "".join(code.lower().split()).replace("-", "")
    return salted_hmac(f"alize.recovery-code.{user.pk}", normalised, algorithm="sha256").hexdigest()


def recovery_codes_renew(user: User) -> list[str]:
    """A new set of recovery codes for this person, replacing the old one. Returns the
    codes in clear, to show once; only their keyed hashes are stored."""
    codes = []
    for _index in range(settings.SECOND_FACTOR_RECOVERY_CODES):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _char in range(_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=_code_hash(user, code)) for code in codes
        )
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _recovery_code_use(user: User, code: str) -> bool:
    """Spend one unused recovery code; True when it was one. A single statement, so two
    requests racing with the same code cannot both spend it."""
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_code_hash(user, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device this person is enrolling (made on first call): its secret
    stays the same until they confirm it with a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def qr_svg(url: str) -> str:
    """The QR code of an ``otpauth://`` URL as an inline SVG element (no image request, no
    external service: the secret never leaves the page)."""
    image = qrcode.make(url, image_factory=SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]
    label = escape(_("Code QR à scanner avec l'application d'authentification"))
    svg = svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{label}" ', 1)
    return mark_safe(svg)  # noqa: S308 (qrcode's own markup; the label is escaped)


def secret_text(device: TOTPDevice) -> str:
    """The device's secret in base 32, by groups of four, to type when no camera helps."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def enrolment_confirm(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device being enrolled with a code of it: the device becomes the person's
    second factor (any older one goes), this session counts as verified, and a first set
    of recovery codes is returned (in clear, once). None when the code is wrong."""
    if not device.verify_token(code.strip()):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return recovery_codes_renew(device.user)


def code_verify(request, user: User, code: str, ip: str | None) -> str | None:
    """Check a code of the person's device, or one of their recovery codes, at sign-in.
    Returns "totp" or "recovery" and marks the session verified, or None and records the
    failure (the caller first asks ``second_factor_wait``)."""
    device = confirmed_device(user)
    if device is None:
        return None
    code = code.strip()
    how = None
    if code.isdigit() and len(code) == device.digits:
        how = "totp" if device.verify_token(code) else None
    elif code and _recovery_code_use(user, code):
        how = "recovery"
    if how is None:
        LoginFailure.objects.create(email=user.email, ip=ip, step=LoginFailure.Step.SECOND_FACTOR)
        return None
    LoginFailure.objects.filter(email=user.email, step=LoginFailure.Step.SECOND_FACTOR).delete()
    otp_login(request, device)
    return how


@receiver(user_logged_in, dispatch_uid="alize.accounts.second_factor")
def note_device_at_sign_in(sender, request, user, **kwargs):
    """Each sign-in (password, organisation's account) notes whether a code is due."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = "due" if confirmed_device(user) else "none"


class SecondFactorMiddleware:
    """Holds a signed-in session that has not passed its second factor: a person with a
    device goes to the code page, a person whose role requires one goes to enrolment,
    before any other page (the pages of ``OPEN_ROUTES`` excepted). Comes after django-otp's
    ``OTPMiddleware``, which tells whether the session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self.is_open(request):
            if request.session.get(SESSION_KEY) is None:  # a session older than this step
                note_device_at_sign_in(None, request, user)
            if request.session[SESSION_KEY] == "due":
                return self.hold(request, "second_factor_verify")
            if second_factor_required(user):
                return self.hold(request, "second_factor_enrol")
        return self.get_response(request)

    @staticmethod
    def is_open(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.url_name in OPEN_ROUTES

    @staticmethod
    def hold(request, route: str):
        target = reverse(route)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
