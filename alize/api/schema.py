"""OpenAPI schema additions: every operation documents the one error shape and the
error statuses it can answer, so clients (and the schema fuzzing) know them."""

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
