"""The setup steps of `make run` in one Django process (``devstack/stack.py`` runs it): compile
the translations, migrate, sync the beat schedules, then seed the demo with its documents
left to the worker (``seed_demo --unfinished-mark``: a seed an earlier start left unfinished
is completed). One start of Django instead of one per step: on a warm start every step
finds nothing to do, and loading Django four times was most of its time.

    python devstack/setup_steps.py LOG   # the steps' output goes to LOG, the seed's to stdout

Each step prints ``==> <step>: done in N s`` like the stack's other steps; the first that
fails stops the run with a non-zero exit code.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = (["compile_translations"], ["migrate", "--noinput"], ["sync_schedules"])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: setup_steps.py LOG", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alize.settings.local")
    import django
    from django.core.management import call_command

    django.setup()
    with open(argv[0], "a") as log:
        for args in STEPS:
            label = " ".join(args)
            log.write(f"\n$ manage.py {label}\n")
            log.flush()
            started = time.monotonic()
            call_command(*args, stdout=log, stderr=log)
            log.flush()
            print(f"==> {label}: done in {time.monotonic() - started:.1f} s", flush=True)
    # The demo commits in steps (its dispositifs are seeded in parallel): seed_demo leaves
    # the mark while it seeds, and completes at the next start a demo left unfinished.
    seed = ["seed_demo", "--later", "--unfinished-mark", str(local_dir() / "demo-seed-unfinished")]
    print("==> seed_demo --later", flush=True)
    started = time.monotonic()
    call_command(*seed)
    print(f"==> seed_demo --later: done in {time.monotonic() - started:.1f} s", flush=True)
    return 0


def local_dir() -> Path:
    """The local stack's directory (as ``alize.settings.local`` finds it)."""
    return Path(os.environ.get("ALIZE_LOCAL_DIR") or ROOT / ".local")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
