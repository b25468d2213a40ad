"""REST API infrastructure: scoped base viewsets, permissions, pagination, one error shape."""
