"""Load Partnerdesk (and django-helpdesk beside it) as in production and print the results table.

    bench/run --scale small [--repeat 3] [--duration 10] [--connections 32] [--only partner_queue,...]
              [--server granian|gunicorn-sync|gunicorn-gthread] [--threads 4]

Needs `bench/generate --scale <scale>` first (and, for the side-by-side rows, the helpdesk database:
see bench/RESULTS.md). Every measurement starts its server afresh: 2 worker processes on PostgreSQL
with persistent connections (DB_CONN_MAX_AGE=600). wrk (2 threads, 32 connections) loads it on
loopback from a second process, first for a short warm-up, then for the measured duration.

The machine is shared and its speed moves by a factor of two within minutes, so a scenario is never
compared with a floor measured at another time: each round runs the database floor, then each
scenario followed by the floor again, and a scenario's ratio is its req/s over the mean of the two
floor runs around it. The table gives each scenario's median ratio over the rounds and its spread
(min-max); the targets are judged on that ratio, with the median req/s and p99 beside it. Page
scenarios sign in by session (bench/sessions.py writes fresh sessions for the benchmark's users);
the 304 scenarios send the answer's own ETag in If-None-Match. Before measuring, one request checks
that the scenario gets the answer it means to measure (200, or 304), since wrk counts a redirect to
the sign-in page as a success. Peak RSS per worker is each worker's VmHWM after the scenario.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
STATE = BENCH / ".state"
LUA = BENCH / "lua"
HELPDESK_VENV = BENCH / ".helpdesk-venv"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partnerdesk_bench_{scale}"  # one database per scale
PD_PORT = 8901
# The servers' and bench/sessions' key: the session cookies it signs must be the servers'.
BENCH_SECRET_KEY = "bench-only-not-secret"
HD_PORT = 8902
# The query the ticket list page asks its rows with (base64 of the default filter: open and reopened,
# sorted by creation), copied from the page's HTML.
HD_LIST_QUERY = (
    "eyJmaWx0ZXJpbmciOiB7InN0YXR1c19faW4iOiBbMSwgMl19LCAic29ydGluZyI6ICJjcmVhdGVkIiwgInNlYXJjaF9zdHJpbmciOiAiIiwg"
    "InNvcnRyZXZlcnNlIjogZmFsc2V9"
)


@dataclass
class Scenario:
    key: str
    label: str
    path: str
    token: str = ""  # which token of the state file (Partnerdesk) or "hd_token" / "hd_session"
    method: str = "GET"
    body: str = ""
    script: str = "request.lua"
    server: str = "partnerdesk"
    env: dict[str, str] = field(default_factory=dict)
    session: bool = False  # sign in by the token owner's session cookie (pages) instead of the token
    revalidate: bool = False  # send the answer's current ETag in If-None-Match: the 304 answer
    # The floor the target is judged against: every ratio is to the database floor run around it;
    # "floor" rows are divided once more by the framework floor's ratio of the same round.
    relative_to: str = "floor_db"


def support_request_body() -> str:
    return json.dumps(
        {
            "title": "Benchmark: mail flow delayed",
            "description": "Users report delayed mail since this morning.",
            "severity": "moderate",
            "contact_name": "Bench Admin",
            "contact_email": "admin@c0.bench.test",
        }
    )


GRAPH = "/graph/v1.0/admin/serviceAnnouncement"


def scenarios(state: dict[str, Any], helpdesk: dict[str, Any] | None) -> list[Scenario]:
    rows = [
        Scenario("messages", "1a. Message center list, first page", "/api/v1/messages", "customer_admin"),
        Scenario(
            "messages_304",
            "1a'. Message center list, revalidated (304)",
            "/api/v1/messages",
            "customer_admin",
            revalidate=True,
            relative_to="floor",
        ),
        Scenario(
            "unread", "1b. Message center unread badge", "/api/v1/messages/unread-count", "customer_admin"
        ),
        Scenario("health", "2. Service health overview", "/api/v1/health/services", "customer_admin"),
        Scenario(
            "health_304",
            "2'. Service health overview, revalidated (304)",
            "/api/v1/health/services",
            "customer_admin",
            revalidate=True,
            relative_to="floor",
        ),
        Scenario("graph_messages", "2g. Graph messages, first page", f"{GRAPH}/messages", "customer_admin"),
        Scenario(
            "graph_messages_304",
            "2g'. Graph messages, revalidated (304)",
            f"{GRAPH}/messages",
            "customer_admin",
            revalidate=True,
            relative_to="floor",
        ),
        Scenario(
            "partner_queue",
            "3. Partner support queue, status=open",
            "/api/v1/support-requests?status=open",
            "partner_agent",
        ),
        Scenario(
            "sr_queue", "4. Operator service-request queue", "/api/v1/service-requests", "operator_engineer"
        ),
        Scenario(
            "page_messages",
            "P1. Message center page (HTML)",
            "/admin/messages/",
            "customer_admin",
            session=True,
        ),
        Scenario(
            "page_health", "P2. Service health page (HTML)", "/admin/health/", "customer_admin", session=True
        ),
        Scenario(
            "page_partner_queue",
            "P3. Partner support queue page (HTML)",
            "/partner/support/",
            "partner_agent",
            session=True,
        ),
        Scenario(
            "page_escalations",
            "P4. Operator escalation desk page (HTML)",
            "/operator/service-requests/",
            "operator_engineer",
            session=True,
        ),
        Scenario(
            "create",
            "5. Create a support request",
            "/api/v1/support-requests",
            "customer_admin",
            method="POST",
            body=support_request_body(),
        ),
        Scenario(
            "licences",
            "6. Licence assign/remove (big tenant)",
            "/api/v1/licenses/assign",
            "customer_admin",
            script="licences.lua",
            env={"BENCH_SKU": state["big_sku"], "BENCH_USERS": str(STATE / "licence-users.txt")},
        ),
        Scenario("floor", "8a. Framework floor (trivial JSON)", "/api/v1/bench/floor"),
        Scenario("floor_db", "8b. Database floor (25 rows, no auth)", "/api/v1/bench/floor-db"),
    ]
    if helpdesk:
        rows += [
            Scenario(
                "hd_page",
                "H1. helpdesk ticket list page (HTML shell)",
                "/tickets/",
                "hd_session",
                server="helpdesk",
            ),
            Scenario(
                "hd_rows",
                "H2. helpdesk ticket list rows (its datatables JSON, 25 rows)",
                f"/datatables_ticket_list/{HD_LIST_QUERY}?draw=1&start=0&length=25",
                "hd_session",
                server="helpdesk",
            ),
            Scenario(
                "hd_api_list",
                "H3. helpdesk API ticket list, status=Open",
                "/api/tickets/?status=1",
                "hd_token",
                server="helpdesk",
            ),
            Scenario(
                "hd_create",
                "H4. helpdesk API create ticket",
                "/api/tickets/",
                "hd_token",
                method="POST",
                server="helpdesk",
                body=json.dumps(
                    {
                        "queue": helpdesk["queue_id"],
                        "title": "Benchmark: mail flow delayed",
                        "description": "Users report delayed mail since this morning.",
                        "submitter_email": "admin@c0.bench.test",
                        "priority": 3,
                    }
                ),
            ),
        ]
    return rows


# --- servers ------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        print(f"wrk: {found}")
        return found
    print("wrk is missing: installing Debian's wrk package (apt-get install -y wrk)")
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL
    )
    if not shutil.which("wrk"):
        subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True)
        subprocess.run(
            [*prefix, "apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL
        )
    return shutil.which("wrk") or "wrk"


# The Partnerdesk servers bench/run can load (`--server`), each with 2 worker processes. The threaded
# ones run `--threads` requests at a time per worker, each thread on its own persistent database
# connection: workers x threads is the database connection budget they use (ADR 0016).
SERVERS = ("gunicorn-sync", "gunicorn-gthread", "granian")
DEFAULT_SERVER = "granian"
WORKERS = 2


def server_command(server: str, threads: int, port: int) -> list[str]:
    """The command line of one Partnerdesk server (see SERVERS)."""
    venv = ROOT / ".venv" / "bin"
    app = "partnerdesk.wsgi:application"
    if server == "granian":
        return [
            str(venv / "granian"), "--interface", "wsgi", app, "--workers", str(WORKERS),
            "--blocking-threads", str(threads), "--host", "127.0.0.1", "--port", str(port),
            "--no-ws", "--log-level", "warning",
        ]  # fmt: skip
    args = [str(venv / "gunicorn"), app, "--chdir", str(ROOT), "--workers", str(WORKERS)]
    if server == "gunicorn-gthread":
        args += ["--worker-class", "gthread", "--threads", str(threads)]
    return [*args, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]


def start_server(
    kind: str, database_url: str, server: str = DEFAULT_SERVER, threads: int = 4
) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DB_CONN_MAX_AGE="600", DEBUG="false", LOG_LEVEL="WARNING")
    if kind == "partnerdesk":
        env.update(
            DATABASE_URL=database_url,
            BENCH_ENDPOINTS="true",
            SECRET_KEY=BENCH_SECRET_KEY,
            API_REQUESTS_PER_MINUTE="0",  # one user makes every request of a scenario: no 429s
        )
        args = server_command(server, threads, PD_PORT)
        port = PD_PORT
        cwd = ROOT
    else:
        gunicorn = str(HELPDESK_VENV / "bin" / "gunicorn")
        cwd = BENCH / "helpdesk_site"
        args = [gunicorn, "hdsite.wsgi:application", "--chdir", str(cwd)]
        args += ["--workers", str(WORKERS), "--bind", f"127.0.0.1:{HD_PORT}", "--log-level", "warning"]
        port = HD_PORT
    wait_port_free(port)
    # Its own process group, so stopping it takes the workers along even if the master is killed.
    # Its log (tracebacks of requests cut short when a scenario ends, say) goes to bench/.state/.
    with (STATE / f"server-{kind}.log").open("ab") as log:
        process = subprocess.Popen(args, env=env, cwd=cwd, start_new_session=True, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # any HTTP answer means it serves
        except OSError:
            time.sleep(0.2)
    else:
        stop_server(process)
        raise SystemExit(f"{kind} did not start on port {port}")
    return process


def drain(port: int) -> None:
    """Wait until the requests the warm-up left queued are served: a probe answers only after them."""
    with contextlib.suppress(urllib.error.HTTPError, OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_port_free(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"port {port} is still in use")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn gracefully (SIGTERM), then make sure no process of its group is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait()


# --- load -----------------------------------------------------------------------------------------


def auth_header(scenario: Scenario, state: dict[str, Any], helpdesk: dict[str, Any] | None) -> dict[str, str]:
    if scenario.token == "hd_token" and helpdesk:
        return {"BENCH_AUTH": f"Token {helpdesk['token']}"}
    if scenario.token == "hd_session" and helpdesk:
        return {"BENCH_COOKIE": f"sessionid={helpdesk['sessionid']}"}
    if scenario.session:
        return {"BENCH_COOKIE": state["cookies"][scenario.token]}
    if scenario.token:
        return {"BENCH_AUTH": f"Bearer {state['tokens'][scenario.token]}"}
    return {}


def answer(url: str, headers: dict[str, str]) -> tuple[int, str]:
    """One GET as the scenario sends it, redirects not followed: its status and ETag."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.request(
            "GET", f"{parts.path}?{parts.query}" if parts.query else parts.path, headers=headers
        )
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("ETag") or ""
    finally:
        connection.close()


def prepare(scenario: Scenario, url: str, env: dict[str, str]) -> None:
    """Check that a GET scenario gets the answer it means to measure (wrk counts a 302 as success).

    A revalidating scenario first reads the current ETag and sends it in If-None-Match.
    """
    if scenario.method != "GET" or scenario.server != "partnerdesk" or scenario.script != "request.lua":
        return  # a write, helpdesk's own, or a script of its own (licences.lua posts)
    sent = {"Authorization": env.get("BENCH_AUTH", ""), "Cookie": env.get("BENCH_COOKIE", "")}
    headers = {name: value for name, value in sent.items() if value}
    status, tag = answer(url, headers)
    if status != 200:
        raise SystemExit(f"{scenario.key}: {url} answered {status}, not 200")
    if scenario.revalidate:
        if not tag:
            raise SystemExit(f"{scenario.key}: {url} answered no ETag, so it cannot be revalidated")
        env["BENCH_IF_NONE_MATCH"] = tag
        status, _ = answer(url, {**headers, "If-None-Match": tag})
        if status != 304:
            raise SystemExit(f"{scenario.key}: {url} answered {status} to its own ETag, not 304")


def wrk(
    binary: str, scenario: Scenario, url: str, env: dict[str, str], duration: int, connections: int
) -> dict[str, Any]:
    args = [
        binary,
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / scenario.script),
    ]
    result = subprocess.run([*args, url], env=env, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("JSON "):
            data: dict[str, Any] = json.loads(line[5:])
            return data
    raise SystemExit(f"wrk failed for {scenario.key}:\n{result.stdout}\n{result.stderr}")


def run_scenario(
    binary: str,
    scenario: Scenario,
    state: dict[str, Any],
    helpdesk: dict[str, Any] | None,
    args: argparse.Namespace,
    database_url: str,
) -> dict[str, Any]:
    server = start_server(scenario.server, database_url, args.server, args.threads)
    try:
        port = PD_PORT if scenario.server == "partnerdesk" else HD_PORT
        url = f"http://127.0.0.1:{port}{scenario.path}"
        env = dict(os.environ, BENCH_METHOD=scenario.method, BENCH_BODY=scenario.body, **scenario.env)
        env.update(auth_header(scenario, state, helpdesk))
        prepare(scenario, url, env)
        wrk(binary, scenario, url, env, args.warmup, args.connections)
        drain(port)
        data = wrk(binary, scenario, url, env, args.duration, args.connections)
        rss = [peak_rss_mb(pid) for pid in worker_pids(server.pid)]
    finally:
        stop_server(server)
    seconds = data["duration_us"] / 1e6
    return {
        "key": scenario.key,
        "label": scenario.label,
        "relative_to": scenario.relative_to,
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["non2xx"] + data["socket_errors"],
        "requests": data["requests"],
        "rss_mb": rss,
    }


def call(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def publish_scenario(state: dict[str, Any], database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """7. Publish a post to all tenants (one request), then poll a customer's list until it shows."""
    rounds = args.publish_rounds
    server = start_server("partnerdesk", database_url, args.server, args.threads)
    base = f"http://127.0.0.1:{PD_PORT}/api/v1"
    publish_ms: list[float] = []
    visible_ms: list[float] = []
    try:
        call("GET", f"{base}/messages?limit=1", state["tokens"]["customer_admin"])  # warm both paths
        for n in range(rounds):
            started = time.perf_counter()
            post = call(
                "POST",
                f"{base}/messages",
                state["tokens"]["operator_admin"],
                {
                    "title": f"Benchmark publication {n}",
                    "body": "Published by bench/run.",
                    "category": "stay_informed",
                    "audience": {"type": "all"},
                    "publish": True,
                },
            )
            published = time.perf_counter()
            publish_ms.append((published - started) * 1000)
            while True:
                page = call("GET", f"{base}/messages?limit=5", state["tokens"]["customer_admin"])
                if any(item["id"] == post["id"] for item in page["items"]):
                    break
                if time.perf_counter() - published > 10:
                    raise SystemExit("a published post did not show in the customer's list within 10 s")
            visible_ms.append((time.perf_counter() - started) * 1000)
        rss = [peak_rss_mb(pid) for pid in worker_pids(server.pid)]
    finally:
        stop_server(server)
    return {
        "key": "publish",
        "label": f"7. Publish to all {state['counts']['customers']:,} tenants",
        "publish_p50_ms": statistics.median(publish_ms),
        "publish_max_ms": max(publish_ms),
        "visible_p50_ms": statistics.median(visible_ms),
        "visible_max_ms": max(visible_ms),
        "rounds": rounds,
        "rss_mb": rss,
    }


# Targets of the issue, by scenario: hot reads (API and pages), the 304 revalidations, writes.
READS = {
    "messages", "unread", "health", "graph_messages", "partner_queue", "sr_queue",
    "page_messages", "page_health", "page_partner_queue", "page_escalations",
}  # fmt: skip
REVALIDATIONS = {"messages_304", "health_304", "graph_messages_304"}


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row per scenario: the median ratio over rounds with its spread, and the medians beside it."""
    if runs[0]["key"] == "publish":
        merged = dict(runs[0])
        for name in ("publish_p50_ms", "visible_p50_ms"):
            merged[name] = statistics.median(r[name] for r in runs)
        for name in ("publish_max_ms", "visible_max_ms"):
            merged[name] = max(r[name] for r in runs)
        merged["rounds"] = sum(r["rounds"] for r in runs)
        return merged
    ordered = sorted(runs, key=lambda r: r["rps"])
    merged = dict(ordered[len(ordered) // 2])
    merged["runs_rps"] = [r["rps"] for r in runs]
    for name in ("rps", "p50_ms", "p99_ms"):
        merged[name] = statistics.median(r[name] for r in runs)
    merged["errors"] = sum(r["errors"] for r in runs)
    ratios = [r["ratio_target"] for r in runs if r.get("ratio_target") is not None]
    if ratios:
        merged["ratio"] = statistics.median(ratios)
        merged["ratio_min"], merged["ratio_max"] = min(ratios), max(ratios)
    return merged


def verdict(row: dict[str, Any]) -> str:
    """The issue's target for this row, and whether this run met it (judged on the median ratio)."""
    key = row["key"]
    ratio = row.get("ratio")
    if key in READS | REVALIDATIONS | {"licences"} and not row.get("requests"):
        return "missed (no response)"
    if key in READS and ratio is not None:
        ok = ratio >= 0.5 and row["p99_ms"] < 100
        return f"{'met' if ok else 'missed'}: ≥ 50% of DB floor and p99 < 100 ms"
    if key in REVALIDATIONS and ratio is not None:
        return f"{'met' if ratio >= 0.8 else 'missed'}: ≥ 80% of framework floor"
    if key == "licences" and ratio is not None:
        return f"{'met' if ratio >= 0.5 else 'missed'}: ≥ 50% of DB floor"
    if key == "create":
        return f"{'met' if row['p99_ms'] < 150 else 'missed'}: p99 < 150 ms"
    if key == "publish":
        return f"{'met' if row['publish_max_ms'] < 200 else 'missed'}: < 200 ms"
    return ""


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| Scenario | ratio to floor, median | spread (min-max) | req/s | p50 ms | p99 ms | errors "
        "| peak RSS per worker (MB) | target |",
        "|---|---:|---|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        rss = " / ".join(f"{m:.0f}" for m in r["rss_mb"])
        if r["key"] == "publish":
            lines.append(
                f"| {r['label']} (n={r['rounds']}) | - | - | publish p50 {r['publish_p50_ms']:.1f} ms, "
                f"max {r['publish_max_ms']:.1f} ms | visible p50 {r['visible_p50_ms']:.1f} | "
                f"visible max {r['visible_max_ms']:.1f} | 0 | {rss} | {verdict(r)} |"
            )
            continue
        if not r["requests"]:
            lines.append(
                f"| {r['label']} | 0 | - | 0 (no response within the run) | - | - | {r['errors']} | {rss} "
                f"| {verdict(r)} |"
            )
            continue
        floor = "framework floor" if r.get("relative_to") == "floor" else "DB floor"
        if r["key"] == "floor_db":
            ratio, spread = "1 (reference)", f"{min(r['runs_rps']):,.0f}-{max(r['runs_rps']):,.0f} req/s"
        elif "ratio" in r:
            ratio = f"{r['ratio'] * 100:.0f}% of {floor}"
            spread = f"{r['ratio_min'] * 100:.0f}-{r['ratio_max'] * 100:.0f}%"
        else:
            ratio, spread = "-", "-"
        lines.append(
            f"| {r['label']} | {ratio} | {spread} | {r['rps']:,.1f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['errors']} | {rss} | {verdict(r)} |"
        )
    return "\n".join(lines)


def sign_in_by_session(scale: str, database_url: str) -> dict[str, str]:
    """Session cookies of the benchmark's users, written afresh (bench/sessions.py)."""
    python = str(ROOT / ".venv" / "bin" / "python")
    result = subprocess.run(
        [python, "-m", "bench.sessions", "--scale", scale],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=BENCH_SECRET_KEY),
        capture_output=True,
        text=True,
        check=True,
    )
    cookies: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return cookies


def run_round(
    binary: str,
    chosen: list[Scenario],
    floor_db: Scenario,
    state: dict[str, Any],
    helpdesk: dict[str, Any] | None,
    args: argparse.Namespace,
    database_url: str,
    label: str,
) -> list[dict[str, Any]]:
    """One round: the database floor, then each scenario followed by the floor again.

    Each scenario's ratio is its req/s over the mean of the two floor runs around it, so a minute in
    which the shared machine is slow slows the scenario and its floors alike. The rows judged against
    the framework floor are divided by the framework floor's own ratio of the same round.
    """

    def measure(scenario: Scenario) -> dict[str, Any]:
        print(f"-> {label} {scenario.label} ({args.duration} s, {args.connections} connections)", flush=True)
        return run_scenario(binary, scenario, state, helpdesk, args, database_url)

    before = measure(floor_db)
    floors, results = [before], []
    for scenario in chosen:
        result = measure(scenario)
        after = measure(floor_db)
        floors.append(after)
        result["floor_rps"] = (before["rps"] + after["rps"]) / 2
        result["ratio"] = result["rps"] / result["floor_rps"] if result["floor_rps"] else 0.0
        results.append(result)
        before = after
    framework = next((r["ratio"] for r in results if r["key"] == "floor"), None)
    for result in results:
        if result["relative_to"] == "floor":
            result["ratio_target"] = result["ratio"] / framework if framework else None
        else:
            result["ratio_target"] = result["ratio"]
    return floors + results


def compare_servers(
    binary: str,
    chosen: list[Scenario],
    state: dict[str, Any],
    args: argparse.Namespace,
    database_url: str,
    servers: list[str],
) -> str:
    """ADR 0016's comparison: every scenario on every server in turn, round after round.

    The servers of one scenario run back to back, so each round compares them at nearly the same
    moment; the table gives each server's median req/s and p99 and its median ratio to the first
    server's run of the same scenario and round.
    """
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for round_number in range(1, args.repeat + 1):
        for scenario in chosen:
            for server in servers:
                print(f"-> [{round_number}/{args.repeat}] {scenario.label} on {server}", flush=True)
                measured = argparse.Namespace(**{**vars(args), "server": server})
                result = run_scenario(binary, scenario, state, None, measured, database_url)
                runs.setdefault((scenario.key, server), []).append(result)
    lines = [
        f"| Scenario | server | req/s (median) | p99 ms (median) | ratio to {servers[0]} (median, min-max) |",
        "|---|---|---:|---:|---|",
    ]
    for scenario in chosen:
        reference = runs[(scenario.key, servers[0])]
        for server in servers:
            mine = runs[(scenario.key, server)]
            ratios = [m["rps"] / r["rps"] for m, r in zip(mine, reference, strict=True) if r["rps"]]
            lines.append(
                f"| {scenario.label} | {server} | {statistics.median(m['rps'] for m in mine):,.1f} "
                f"| {statistics.median(m['p99_ms'] for m in mine):.1f} | {statistics.median(ratios):.2f} "
                f"({min(ratios):.2f}-{max(ratios):.2f}) |"
            )
    STATE.mkdir(exist_ok=True)
    flat = {f"{key}@{server}": value for (key, server), value in runs.items()}
    (STATE / f"servers-{args.scale}.json").write_text(json.dumps(flat, indent=2))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--publish-rounds", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    parser.add_argument("--no-helpdesk", action="store_true", help="skip the django-helpdesk rows")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds: the table gives the median ratio over them"
    )
    parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER, help="Partnerdesk's server")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker of the threaded servers (DB connections)"
    )
    parser.add_argument(
        "--compare-servers",
        default="",
        help="comma-separated servers: run the chosen scenarios (and the database floor) on each in turn",
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_URL.format(scale=args.scale))
    state_file = STATE / f"{args.scale}.json"
    if not state_file.exists():
        raise SystemExit(f"{state_file} is missing: run bench/generate --scale {args.scale} first")
    state = json.loads(state_file.read_text())
    (STATE / "licence-users.txt").write_text("\n".join(state["licence_users"]) + "\n")
    helpdesk = None
    helpdesk_file = STATE / f"helpdesk-{args.scale}.json"
    if not args.no_helpdesk:
        if helpdesk_file.exists() and (HELPDESK_VENV / "bin" / "gunicorn").exists():
            helpdesk = json.loads(helpdesk_file.read_text())
            # Its server reads this (bench/helpdesk_site/hdsite/settings.py): one database per scale.
            default = f"partnerdesk_bench_helpdesk_{args.scale}"
            os.environ["HELPDESK_DATABASE"] = helpdesk.get("database", default)
        else:
            print(f"django-helpdesk rows skipped: {helpdesk_file} or {HELPDESK_VENV} missing")
    binary = ensure_wrk()
    only = {key for key in args.only.split(",") if key}
    every = scenarios(state, helpdesk)
    chosen = [s for s in every if (not only or s.key in only) and s.key != "floor_db"]
    if any(s.relative_to == "floor" for s in chosen) and not any(s.key == "floor" for s in chosen):
        chosen.insert(0, next(s for s in every if s.key == "floor"))  # their ratio needs it
    if any(s.session for s in chosen):
        state["cookies"] = sign_in_by_session(args.scale, database_url)
    floor_db = next(s for s in every if s.key == "floor_db")
    if args.compare_servers:
        servers = [name for name in args.compare_servers.split(",") if name]
        print(compare_servers(binary, [floor_db, *chosen], state, args, database_url, servers))
        return
    runs: dict[str, list[dict[str, Any]]] = {}
    for round_number in range(1, args.repeat + 1):
        label = f"[{round_number}/{args.repeat}]"
        for result in run_round(binary, chosen, floor_db, state, helpdesk, args, database_url, label):
            runs.setdefault(result["key"], []).append(result)
        if not only or "publish" in only:
            print(f"-> {label} 7. publish to all tenants", flush=True)
            runs.setdefault("publish", []).append(publish_scenario(state, database_url, args))
    results = [aggregate(scenario_runs) for scenario_runs in runs.values()]
    STATE.mkdir(exist_ok=True)
    report = json.dumps({"rows": results, "runs": runs, "server": args.server}, indent=2)
    (STATE / f"results-{args.scale}.json").write_text(report)
    print()
    print(
        f"scale={args.scale}: {json.dumps(state['counts'])}; server {args.server} "
        f"(threads {args.threads}); {args.repeat} interleaved round(s)"
    )
    print(table(results))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
