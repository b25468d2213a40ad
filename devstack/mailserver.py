#!/usr/bin/env python3
"""The local SMTP server of ``make run``: accepts every message on 127.0.0.1 and keeps it
as one ``.eml`` file in the mailbox folder (``.local/mail/``), read on the /mailbox/ page.

    .venv/bin/python devstack/mailserver.py --port 8025 --maildir .local/mail

Runs until SIGTERM or SIGINT. Standalone like the rest of the stack (no Django).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class MailboxHandler:
    """Writes each accepted message to ``<maildir>/<timestamp>-<random>.eml`` (atomically)."""

    def __init__(self, maildir: Path):
        self.maildir = maildir

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        now = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + f"-{int(now % 1 * 1e6):06d}"
        name = f"{stamp}-{uuid.uuid4().hex[:8]}"
        partial = self.maildir / f".{name}.tmp"
        partial.write_bytes(envelope.original_content)
        os.replace(partial, self.maildir / f"{name}.eml")
        return "250 Message accepted for delivery"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    options = parser.parse_args()
    options.maildir.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        MailboxHandler(options.maildir), hostname="127.0.0.1", port=options.port
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_args: stop.set())
    controller.start()
    print(f"SMTP server on 127.0.0.1:{options.port}, mailbox {options.maildir}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
