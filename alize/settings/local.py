"""Local development: debug on, demo-friendly defaults."""

from .base import *  # noqa: F403

DEBUG = True
