"""Personal data handled as the law asks (docs/personal-data.md): the register of what the
platform holds, the export of everything held about one person, the erasure that keeps the
statistics, and the retention job.

- ``registry``: the kinds of persons the apps declare (``register_person_kind``), their
  retention rules (``register_retention``) and the tables never rewritten;
- ``register``: the register of processing shown on the product's page;
- ``database``: mentions of a person in the free text of every table, and their removal;
- ``selectors``: finding a person, and the export;
- ``services``: the erasure (``person_erase``) and the retention job's work
  (``retention_apply``).
"""
