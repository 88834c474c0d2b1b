"""`partnerdesk support_inbound`: append e-mailed replies to support requests.

    partnerdesk support_inbound FILE...           one message per file ("-" reads standard input)
    partnerdesk support_inbound --lmtp 127.0.0.1:8024   run an LMTP server for the MTA to deliver to
    partnerdesk support_inbound --imap-host H --imap-user U   (password in SUPPORT_IMAP_PASSWORD)
                                                  fetch unseen messages once, mark them seen

Each message is processed once by Message-ID; a malformed one is quarantined and the rest go on.
"""

from __future__ import annotations

import asyncio
import imaplib
import os
import sys
from typing import Any

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError

from partnerdesk.support import inbound


class LmtpHandler:
    """aiosmtpd handler: process each delivered message; 250 when kept (appended or quarantined)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await sync_to_async(_process_and_release, thread_sensitive=True)(envelope.content)
        return "250 OK"


def _process_and_release(raw: bytes) -> None:
    """Process one delivery, then give the database connection back (deliveries are rare)."""
    from django.db import connection

    try:
        inbound.process(raw)
    finally:
        connection.close()


def lmtp_controller_class(base: Any) -> Any:
    """An aiosmtpd controller class (threaded or not) that speaks LMTP instead of SMTP."""
    from aiosmtpd.lmtp import LMTP

    class LmtpController(base):
        def factory(self) -> LMTP:
            return LMTP(self.handler, **self.SMTP_kwargs)

    return LmtpController


class Command(BaseCommand):
    help = "Append e-mailed replies to support requests (files, an LMTP server, or an IMAP mailbox)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", help="message files; - for standard input")
        parser.add_argument("--lmtp", help="HOST:PORT to listen on for LMTP deliveries")
        parser.add_argument("--imap-host")
        parser.add_argument("--imap-user")
        parser.add_argument("--imap-folder", default="INBOX")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["lmtp"]:
            self._lmtp(options["lmtp"])
        elif options["imap_host"]:
            self._imap(options["imap_host"], options["imap_user"], options["imap_folder"])
        elif options["files"]:
            for name in options["files"]:
                raw = sys.stdin.buffer.read() if name == "-" else open(name, "rb").read()  # noqa: SIM115
                self._report(inbound.process(raw))
        else:
            raise CommandError("Give message files, --lmtp or --imap-host.")

    def _report(self, mail: Any) -> None:
        self.stdout.write(f"{mail.message_id}: {mail.status}{' (' + mail.error + ')' if mail.error else ''}")

    def _lmtp(self, address: str) -> None:
        from aiosmtpd.controller import UnthreadedController

        host, _, port = address.rpartition(":")
        loop = asyncio.new_event_loop()
        controller = lmtp_controller_class(UnthreadedController)(
            LmtpHandler(), hostname=host or "127.0.0.1", port=int(port), loop=loop
        )
        controller.begin()
        self.stdout.write(f"LMTP listening on {address}")
        try:
            loop.run_forever()
        finally:
            controller.end()

    def _imap(self, host: str, user: str | None, folder: str) -> None:
        password = os.environ.get("SUPPORT_IMAP_PASSWORD", "")
        if not user or not password:
            raise CommandError("Give --imap-user and set SUPPORT_IMAP_PASSWORD.")
        with imaplib.IMAP4_SSL(host) as mailbox:
            mailbox.login(user, password)
            mailbox.select(folder)
            _status, data = mailbox.search(None, "UNSEEN")
            for number in data[0].split():
                _status, parts = mailbox.fetch(number, "(RFC822)")
                raw = parts[0][1] if parts and isinstance(parts[0], tuple) else b""
                self._report(inbound.process(raw))
                mailbox.store(number, "+FLAGS", "\\Seen")
