"""`partnerdesk worker`: the durable background worker. Several may run at once."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand

from partnerdesk.notifications import jobs, services


class Command(BaseCommand):
    help = (
        "Run due periodic jobs, every pass's queue (webhooks) and queued e-mail until stopped "
        "(SIGTERM finishes the pass)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run one pass and exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        worker = services.worker_name()
        self.stdout.write(f"worker {worker} started")
        while not stopping:
            ran = jobs.run_due(worker)
            delivered = jobs.run_passes(worker)
            sent = services.deliver_due(worker)
            if sent:
                self.stdout.write(f"sent {sent} e-mail(s)")
            if options["once"]:
                break
            if not sent and not ran and not delivered:
                time.sleep(options["interval"])
        self.stdout.write(f"worker {worker} stopped")
