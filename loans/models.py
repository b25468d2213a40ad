"""Models of the loans app (see DESIGN.md §4)."""
