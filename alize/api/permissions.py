"""API permission derived from the access policy, the same one the web views ask."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from alize.tenancy import may


class PolicyPermission(BasePermission):
    """Reading needs a signed-in caller (the queryset shows only what ``view_action``
    allows); writing needs ``manage_action`` somewhere, and on the row's own dispositif.

    API clients (regional councils) are granted no write action, so they are read-only.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return may(user, view.manage_action)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        tenant_id = getattr(obj, "tenant_id", None)
        if tenant_id is None:
            return may(request.user, view.manage_action)
        return may(request.user, view.manage_action, tenant_id())
