"""E-mail login with a brute-force lockout on repeated failures."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from .models import LoginFailure


def is_locked_out(email: str) -> bool:
    """True when the address failed too often within the lockout window."""
    since = timezone.now() - settings.LOGIN_FAILURE_WINDOW
    recent = LoginFailure.objects.filter(email=email.strip().lower(), at__gte=since).count()
    return recent >= settings.LOGIN_FAILURE_LIMIT


class EmailBackend(ModelBackend):
    """Authenticates by case-insensitive e-mail; refuses while the address is locked out."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = (email or username or "").strip().lower()
        if not address or password is None:
            return None
        if is_locked_out(address):
            return None
        user = super().authenticate(request, username=address, password=password, **kwargs)
        if user is None:
            ip = request.META.get("REMOTE_ADDR") if request is not None else None
            LoginFailure.objects.create(email=address, ip=ip)
        else:
            LoginFailure.objects.filter(email=address).delete()
        return user
