"""Cursor pagination: stable pages and a constant cost whatever the offset."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Ordered by ``-id`` by default; clients may ask for up to 200 rows a page."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
