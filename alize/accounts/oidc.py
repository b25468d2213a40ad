"""Sign-in with the organisation's account (OpenID Connect, mozilla-django-oidc).

The platform is a relying party of one provider (ProConnect, Entra ID, a chamber's own),
set by the environment alone; without it, nothing here answers. The authorization code
flow with PKCE, a single-use state and a nonce; the ID token must be signed with the
expected algorithm by a key of the provider's JWKS, name this platform's client in its
audience, come from the configured issuer and still be valid. The person lands on the
EXISTING active user whose address the provider vouches for (``OIDC_EMAIL_VERIFIED_CLAIM``
true): sign-in never creates an account, nor a role. Every refusal sends the person back
to the login page with a message saying why; the password login stays for the others.
"""

import logging
from typing import NoReturn

import jwt
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

logger = logging.getLogger(__name__)

# Why a sign-in was refused, noted on the request for the message of the login page.
UNKNOWN_ACCOUNT = "unknown_account"
UNVERIFIED_EMAIL = "unverified_email"
INVALID_ANSWER = "invalid_answer"


def provider_configured() -> bool:
    """Is an organisation's provider set (client and every endpoint)?"""
    return all(
        getattr(settings, name)
        for name in (
            "OIDC_RP_CLIENT_ID",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
    )


def _refuse(request, reason: str, detail: str) -> NoReturn:
    request.alize_oidc_refusal = reason
    raise SuspiciousOperation(detail)


class OrganisationAccountBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of the organisation's provider onto an existing user.

    Acts only on that callback (the view passes the nonce of its state) and only when a
    provider is configured; a password login never reaches the provider."""

    def authenticate(self, request, **kwargs):
        if not provider_configured() or "nonce" not in kwargs or "password" in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        """The signature with the expected algorithm, and the claims mozilla-django-oidc
        leaves unchecked: this client in the audience, the configured issuer, the dates."""
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
        except jwt.InvalidTokenError:
            _refuse(self.request, INVALID_ANSWER, "unreadable token header")
        if not isinstance(algorithm, str) or algorithm != self.OIDC_RP_SIGN_ALGO:
            _refuse(self.request, INVALID_ANSWER, f"unexpected algorithm {algorithm!r}")
        issuer = settings.OIDC_OP_ISSUER or None
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer,
                leeway=settings.OIDC_CLOCK_SKEW,
                options={"verify_iss": issuer is not None},
            )
        except jwt.InvalidTokenError as error:
            _refuse(self.request, INVALID_ANSWER, f"token refused: {error}")

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token, not a signed userinfo answer
            missing = [claim for claim in ("exp", "iat", "sub") if claim not in payload]
            if missing:
                _refuse(self.request, INVALID_ANSWER, f"ID token without {missing}")
            self.id_token_claims = payload
        return payload

    def verify_claims(self, claims):
        """The address must be one the provider verified, for the person of the ID token."""
        id_claims = getattr(self, "id_token_claims", {})
        if claims.get("sub") != id_claims.get("sub"):
            _refuse(self.request, INVALID_ANSWER, "userinfo of another subject")
        if not claims.get("email"):
            _refuse(self.request, UNVERIFIED_EMAIL, "no e-mail claim")
        verified = settings.OIDC_EMAIL_VERIFIED_CLAIM
        if claims.get(verified, id_claims.get(verified)) is not True:
            _refuse(self.request, UNVERIFIED_EMAIL, f"{verified} is not true")
        return True

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(email__iexact=claims["email"].strip(), is_active=True)

    def get_or_create_user(self, access_token, id_token, payload):
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is None:
            self.request.alize_oidc_refusal = UNKNOWN_ACCOUNT
        return user

    def create_user(self, claims):
        """Never: accounts and roles are given by the coordination, not by sign-in."""
        _refuse(self.request, UNKNOWN_ACCOUNT, "sign-in does not create accounts")


class OrganisationLoginView(OIDCAuthenticationRequestView):
    """Sends the person to their organisation's provider (404 when none is configured)."""

    def dispatch(self, request, *args, **kwargs):
        if not provider_configured():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class OrganisationCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: signs the person in, or back to the login page saying why
    (an unknown or unverified address, a refused token, a state already used)."""

    def dispatch(self, request, *args, **kwargs):
        if not provider_configured():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            # A state not issued to this browser, or already used, and refused tokens.
            logger.warning("Organisation sign-in refused: %s", error)
            return self.login_failure()
        except OSError as error:  # the provider cannot be reached
            logger.warning("Organisation provider unreachable: %s", error)
            request.alize_oidc_refusal = INVALID_ANSWER
            return self.login_failure()

    def login_failure(self):
        reason = getattr(self.request, "alize_oidc_refusal", INVALID_ANSWER)
        if reason == UNKNOWN_ACCOUNT:
            message = _(
                "Aucun compte Alizé actif ne correspond à l'adresse de votre compte "
                "d'organisation. Un compte est ouvert par la coordination : demandez-lui "
                "un accès, ou connectez-vous avec votre mot de passe."
            )
        elif reason == UNVERIFIED_EMAIL:
            message = _(
                "Votre organisation n'a pas confirmé votre adresse e-mail : la connexion "
                "par son compte est impossible. Connectez-vous avec votre mot de passe."
            )
        else:
            message = _(
                "La connexion avec le compte de votre organisation a échoué ou a expiré. "
                "Réessayez depuis la page de connexion."
            )
        messages.error(self.request, message)
        return redirect("login")
