"""Which URL names the isolation test classes cover; read by the route meta-test."""

from __future__ import annotations

import importlib
import pkgutil

import tests

_COVERING_CLASSES: list[type] = []


class CoversRoutes:
    """Mixin of every isolation test base: ``covered_url_names()`` lists the routes proved."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _COVERING_CLASSES.append(cls)

    @classmethod
    def covered_url_names(cls) -> list[str]:
        return []


def import_all_test_modules() -> None:
    """Import every tests/**/test_*.py so each covering class registers itself."""
    for module in pkgutil.walk_packages(tests.__path__, prefix="tests."):
        if module.name.rsplit(".", 1)[-1].startswith("test_"):
            importlib.import_module(module.name)


def covered_url_names() -> set[str]:
    import_all_test_modules()
    names: set[str] = set()
    for cls in _COVERING_CLASSES:
        if cls.__name__.startswith("Test"):
            names.update(cls.covered_url_names())
    return names
