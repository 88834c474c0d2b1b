"""Per scenario: the number of SQL queries, their total time, and the slowest one (no load).

    .venv/bin/python -m bench.queries --scale small [--explain] [--repeat 100] [--profile 1a]

Calls each read scenario in-process through Django's test client (after warm-up calls) with the
tokens of bench/.state/<scale>.json, so it shows what a request costs the database and in all:
the query count and SQL time of one call, and the mean time of `--repeat` calls. `--profile KEY`
runs that scenario's calls under pyinstrument (in the dev extras) and prints where the time goes.
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
    parser.add_argument("--repeat", type=int, default=20, help="calls timed per scenario (mean shown)")
    parser.add_argument("--profile", default="", help="profile one scenario, e.g. 1a or 3")
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
        if args.profile and not label.startswith(args.profile + "."):
            continue
        headers = {"Authorization": f"Bearer {state['tokens'][token]}"} if token else {}
        for _ in range(5):  # warm: connection, the token's last-used write, caches
            client.get(path, headers=headers)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
        timed = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        sql_ms = sum(t for t, _ in timed)
        slowest_ms, slowest = max(timed) if timed else (0.0, "")
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        started = time.perf_counter()
        for _ in range(args.repeat):
            client.get(path, headers=headers)
        mean_ms = (time.perf_counter() - started) * 1000 / args.repeat
        print(
            f"{label:<36} {response.status_code} queries={len(timed):>2} sql={sql_ms:6.1f} ms "
            f"slowest={slowest_ms:5.1f} ms request={mean_ms:6.1f} ms (mean of {args.repeat})"
        )
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=bool(os.environ.get("SHOW_ALL"))))
        if args.explain and slowest:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + slowest)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"    {slowest[:300]}...\n" + "\n".join("    " + line for line in plan.splitlines()[:25]))


if __name__ == "__main__":
    main()
