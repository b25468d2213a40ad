"""Models of the reporting app (see DESIGN.md §4)."""
