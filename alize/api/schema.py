"""OpenAPI schema additions: every operation documents the one error shape and the
error statuses it can answer, and a field that some callers do not receive is never
promised as required, so clients (and the schema fuzzing) can trust the schema."""

from drf_spectacular import openapi

from alize.api.serializers import caller_dependent_fields

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a message, a stable code, the fields at fault.",
    "properties": {
        "message": {"type": "string"},
        "code": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "extra": {"type": "object", "additionalProperties": True},
    },
    "required": ["message", "code", "fields", "extra"],
}

ERROR_STATUSES = {
    "400": "Invalid input: ``fields`` names each field at fault.",
    "401": "Not authenticated.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "Not found, or outside the caller's dispositifs.",
    "429": "Too many requests; see ``Retry-After``.",
}
WRITE_STATUSES = {"409": "Conflict with a concurrent write; retry after reading again."}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: add the error responses to every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = dict(ERROR_STATUSES)
            if method in WRITE_METHODS:
                statuses |= WRITE_STATUSES
            for status, description in statuses.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": content}
                )
    return result


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, where the fields a serializer drops for some callers
    (``caller_dependent_fields``) are optional in responses: a caller may not receive them."""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        dropped = caller_dependent_fields(serializer)
        if direction == "response" and dropped and "required" in schema:
            required = [name for name in schema["required"] if name not in dropped]
            if required:
                schema["required"] = required
            else:
                del schema["required"]
        return schema
