"""Admin helpers shared by the apps."""


class ReadOnlyAdminMixin:
    """An admin page that shows rows but never writes them: their changes belong to
    services (state machines, money, audit), which the admin would bypass."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
