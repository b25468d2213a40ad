"""Bench-only middleware: counts the SQL statements of a request into ``X-Bench-Queries``."""

from django.db import connection


class QueryCountMiddleware:
    """Counts every statement sent during the request (enabled only in ``bench.settings``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count[0])
        return response
