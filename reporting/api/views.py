"""Documents API: list and retrieve, with the link of the scoped download (the file itself
is served by the web view, as an attachment, to the same people)."""

from alize.actions import Action
from alize.api.views import ScopedReadOnlyViewSet

from .. import selectors
from ..filtersets import DocumentFilterSet
from ..models import Document
from .serializers import DocumentSerializer


class DocumentViewSet(ScopedReadOnlyViewSet):
    """Documents the caller reads (``reporting.selectors.documents_for``: a dispositif's,
    a firm's, the network's), newest first; filters: kind, scope, year, status."""

    queryset = Document.objects.none()
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilterSet
    view_action = Action.VIEW_DOCUMENT
    manage_action = Action.REQUEST_DOCUMENT
    search_fields = ["title"]
    ordering_fields = ["created_at", "year"]

    def get_queryset(self):
        return selectors.documents_for(self.request.user)
