"""The provider's claims: each person's address and whether it is verified, from the
setup; and the clients that misbehave on purpose (another audience, an expired token)."""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator

PEOPLE = {person["username"]: person for person in settings.SETUP["people"]}
CLIENTS = {client["client_id"]: client for client in settings.SETUP["clients"]}


class Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "email_verified": "email"}

    def get_additional_claims(self, request):
        person = PEOPLE[request.user.username]
        return {"email": person["email"], "email_verified": person["email_verified"]}

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        client = CLIENTS[request.client.client_id]
        if client.get("audience"):
            claims["aud"] = client["audience"]
        if client.get("expired"):
            # An hour past its end: issued, then kept too long (or replayed).
            lifetime = settings.OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"]
            claims["exp"] -= lifetime + 3600
        return claims, expiration
