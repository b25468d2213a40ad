"""Shutdown of the local stack: a SIGTERM to the whole `make run` process group (make, the
supervisor and its children at once, as a closing terminal or a service manager sends it)
always finishes, whatever the moment and however many signals arrive.
"""

import pytest

from tests.ops.stack_helpers import LOCAL, Stack, leftovers, stale_state, wait_until

pytestmark = [
    pytest.mark.stack,
    pytest.mark.real_clock(reason="the stack's processes run on the real clock"),
]


@pytest.mark.parametrize(
    ("when", "signals"),
    [("starting", 1), ("running", 1), ("running", 3)],
    ids=["during-startup", "once-running", "three-at-once"],
)
def test_sigterm_to_the_make_run_group_leaves_nothing_running(when, signals):
    running = Stack("--no-setup")
    try:
        if when == "starting":
            running.wait_for("PostgreSQL", timeout=30)
        else:
            running.wait_for("Alizé is running", timeout=60)
    finally:
        running.sigterm_group(signals)
        running.wait_exit()
    assert wait_until(lambda: not leftovers(), 10) is True, leftovers()
    assert stale_state() == {}
    assert not (LOCAL / "run.json").exists()
