"""Per scenario: the number of SQL queries, their total time, and the slowest one (no load).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnerdesk_bench_small \
        .venv/bin/python -m bench.queries --scale small [--explain]

Calls each read scenario once in-process through Django's test client (after one warm-up call) with
the tokens of bench/.state/<scale>.json, so it shows what a request costs the database.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

STATE = Path(__file__).resolve().parent / ".state"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partnerdesk_bench_{scale}"  # one database per scale

READS = [
    ("1a. Message center list", "/api/v1/messages", "customer_admin"),
    ("1b. Unread badge", "/api/v1/messages/unread-count", "customer_admin"),
    ("2. Service health overview", "/api/v1/health/services", "customer_admin"),
    ("3. Partner queue, status=open", "/api/v1/support-requests?status=open", "partner_agent"),
    ("4. Operator service-request queue", "/api/v1/service-requests", "operator_engineer"),
    ("6. Licence pools", "/api/v1/licenses", "customer_admin"),
    ("8b. Database floor", "/api/v1/bench/floor-db", ""),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of each")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL.format(scale=args.scale))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    os.environ["BENCH_ENDPOINTS"] = "true"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    state = json.loads((STATE / f"{args.scale}.json").read_text())
    client = Client()
    for label, path, token in READS:
        headers = {"Authorization": f"Bearer {state['tokens'][token]}"} if token else {}
        client.get(path, headers=headers)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
        total_ms = (time.perf_counter() - started) * 1000
        timed = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        sql_ms = sum(t for t, _ in timed)
        slowest_ms, slowest = max(timed) if timed else (0.0, "")
        print(
            f"{label:<36} {response.status_code} queries={len(timed):>2} sql={sql_ms:6.1f} ms "
            f"request={total_ms:6.1f} ms slowest={slowest_ms:5.1f} ms"
        )
        if args.explain and slowest:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + slowest)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"    {slowest[:300]}...\n" + "\n".join("    " + line for line in plan.splitlines()[:25]))


if __name__ == "__main__":
    main()
