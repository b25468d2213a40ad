"""What the list views of the pme app share."""

from __future__ import annotations


class StrictFilterMixin:
    """A filter value the user may not choose (another dispositif's company…) lists nothing
    instead of silently ignoring the filter."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset is not None and self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return queryset
