"""API permissions derived from role assignments."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from alize.accounts.models import Role
from alize.accounts.roles import can_manage, has_role


class RolePermission(BasePermission):
    """Authenticated users with a role may read; writes need a coordinator or animateur.

    API clients (regional councils) are read-only. Which rows a caller sees is the
    tenancy scope's business, not this class's; changing a tenant row also needs the
    caller to manage its dispositif (a committee member elsewhere only reads it).
    """

    write_roles = (Role.NATIONAL_COORDINATOR, Role.ANIMATEUR)

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return has_role(user, *getattr(view, "write_roles", self.write_roles))

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        tenant_id = getattr(obj, "tenant_id", None)
        return tenant_id is None or can_manage(request.user, tenant_id())
