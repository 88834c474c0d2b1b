"""Fill django-helpdesk's database with as many tickets as Partnerdesk's support requests.

    bench/.helpdesk-venv/bin/python bench/helpdesk_site/generate.py --tickets 100000

Run with the helpdesk virtualenv's Python. Drops and re-creates HELPDESK_DATABASE, migrates, adds a
staff user with a REST token and 10 queues, then bulk-creates tickets with two follow-ups each.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository, for the generators' shared progress bar

from bench.progress import progress  # noqa: E402

STATE = HERE.parent / ".state"
BATCH = 5_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--label", default="small")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdsite.settings")
    name = os.environ.get("HELPDESK_DATABASE", f"partnerdesk_bench_helpdesk_{args.label}")
    os.environ["HELPDESK_DATABASE"] = name  # read by hdsite.settings
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from helpdesk.models import FollowUp, Queue, Ticket
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(7)
    staff = get_user_model().objects.create_superuser("bench", "bench@bench.test", "bench-password-1")
    token = Token.objects.create(user=staff)
    queues = [Queue.objects.create(title=f"Queue {i}", slug=f"queue-{i}") for i in range(10)]
    now = timezone.now()
    start = now - timedelta(days=365)
    step = timedelta(days=365) / max(args.tickets, 1)
    statuses = [Ticket.OPEN_STATUS] * 4 + [
        Ticket.REOPENED_STATUS,
        Ticket.RESOLVED_STATUS,
        Ticket.CLOSED_STATUS,
        Ticket.CLOSED_STATUS,
    ]
    started = time.monotonic()
    for offset in range(0, args.tickets, BATCH):
        batch = []
        for n in range(offset, min(offset + BATCH, args.tickets)):
            created = start + step * n
            batch.append(
                Ticket(
                    title=f"Benchmark request {n + 1}: mail flow delayed",
                    queue=queues[n % len(queues)],
                    created=created,
                    modified=created,
                    submitter_email=f"admin@c{n % 10000}.bench.test",
                    status=rng.choice(statuses),
                    description="Users report delayed mail since this morning. " * 4,
                    priority=rng.choice([1, 2, 3, 4, 5]),
                )
            )
        tickets = Ticket.objects.bulk_create(batch)
        FollowUp.objects.bulk_create(
            FollowUp(ticket=t, title="Comment", comment=text, date=t.created, public=True)
            for t in tickets
            for text in ("Here is what we see. " * 5, "Thanks, we are looking into it. " * 3)
        )
        progress("tickets (+2 follow-ups)", offset + len(batch), args.tickets, started)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = str(staff.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = staff.get_session_auth_hash()
    session.set_expiry(7 * 24 * 3600)
    session.create()
    STATE.mkdir(parents=True, exist_ok=True)
    state = {
        "token": token.key,
        "sessionid": session.session_key,
        "queue_id": queues[0].pk,
        "tickets": args.tickets,
        "database": name,
    }
    (STATE / f"helpdesk-{args.label}.json").write_text(json.dumps(state, indent=2))
    print(f"  django-helpdesk: {args.tickets:,} tickets; token in {STATE / f'helpdesk-{args.label}.json'}")


if __name__ == "__main__":
    main()
