"""National-scale benchmark: seeding, the served floor, and the measurement run (``make bench``)."""
