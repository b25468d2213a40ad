"""Models of the pme app (see DESIGN.md §4)."""
