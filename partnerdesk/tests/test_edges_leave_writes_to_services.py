"""Views, API modules, forms and the Graph surface never open a transaction, lock rows or write audit.

Those belong to the service function the edge calls (ARCHITECTURE, *How a request flows*; STYLE 5, 6):
the service changes state in its one transaction and writes the audit event inside it. The walker
reads each `views.py`, `api.py`, `forms.py` and `graph.py` of every app and refuses
`transaction.atomic` (as a call, a context manager or a decorator, however it was imported),
`select_for_update`, and `record` of `partnerdesk.audit.services` (however it was named). The
platform's `etags.guarded`, which opens the change's transaction with the compared rows locked, is
the one way an edge may start one: it lives in `etags.py`, so the walker never sees it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
EDGE_MODULES = ("views.py", "api.py", "forms.py", "graph.py")
AUDIT = "partnerdesk.audit.services"


def _bound_names(tree: ast.Module) -> tuple[set[str], set[str], set[str], set[str]]:
    """Names bound to: the `transaction` module, `atomic`, the audit services module, its `record`."""
    transaction_modules, atomics, audit_modules, records = set(), set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.module == "django.db" and alias.name == "transaction":
                    transaction_modules.add(bound)
                elif node.module == "django.db.transaction" and alias.name == "atomic":
                    atomics.add(bound)
                elif node.module == "partnerdesk.audit" and alias.name == "services":
                    audit_modules.add(bound)
                elif node.module == AUDIT and alias.name == "record":
                    records.add(bound)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "django.db.transaction" and alias.asname:
                    transaction_modules.add(alias.asname)
                elif alias.name == AUDIT and alias.asname:
                    audit_modules.add(alias.asname)
    return transaction_modules, atomics, audit_modules, records


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def writes_at_the_edge(source: str, filename: str = "<sample>") -> list[str]:
    """`file:line what` of every transaction, row lock and audit write the module makes itself."""
    tree = ast.parse(source)
    transaction_modules, atomics, audit_modules, records = _bound_names(tree)
    transaction_modules.add("django.db.transaction")
    audit_modules.add(AUDIT)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        what = ""
        if isinstance(node, ast.Attribute):
            if node.attr == "select_for_update":
                what = "select_for_update"
            elif node.attr == "atomic" and _dotted(node.value) in transaction_modules:
                what = "transaction.atomic"
            elif node.attr == "record" and _dotted(node.value) in audit_modules:
                what = "audit record"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in atomics:
                what = "transaction.atomic"
            elif node.id in records:
                what = "audit record"
        if what and isinstance(node, ast.expr):
            found.append((node.lineno, f"{filename}:{node.lineno} {what}"))
    return [hit for _line, hit in sorted(found)]


def edge_modules() -> list[Path]:
    return sorted(p for name in EDGE_MODULES for p in (PROJECT / "partnerdesk").glob(f"*/{name}"))


def test_it_reads_every_edge_module() -> None:
    names = {p.parent.name + "/" + p.name for p in edge_modules()}
    assert {"accounts/views.py", "support/views.py", "subscriptions/api.py", "health/graph.py"} <= names


def test_no_edge_module_opens_a_transaction_locks_rows_or_writes_audit() -> None:
    offenders = [
        hit
        for path in edge_modules()
        for hit in writes_at_the_edge(path.read_text(encoding="utf-8"), str(path.relative_to(PROJECT)))
    ]
    assert offenders == [], "move these into the service function the edge calls"


SAMPLE = """
import django.db.transaction as tx
from django.db import transaction
from django.db.transaction import atomic as all_or_nothing
from partnerdesk import etags
from partnerdesk.audit import services as audit
from partnerdesk.audit.services import record as note, snapshot

@transaction.atomic
def view(request, row):
    with transaction.atomic():
        Row.objects.select_for_update().get(pk=row.pk)
    with all_or_nothing():
        audit.record(request.principal, action="row.changed", target=row)
    with tx.atomic():
        note(request.principal, action="row.seen", target=row)
    with etags.guarded(etags.if_match(request), row):
        services.change(request.principal, row)
    recorder.record(row)
    return snapshot(row, ["name"]), transaction.on_commit(lambda: None)
"""


def test_the_walker_catches_every_spelling_and_leaves_the_platform_alone() -> None:
    assert writes_at_the_edge(SAMPLE) == [
        "<sample>:9 transaction.atomic",
        "<sample>:11 transaction.atomic",
        "<sample>:12 select_for_update",
        "<sample>:13 transaction.atomic",
        "<sample>:14 audit record",
        "<sample>:15 transaction.atomic",
        "<sample>:16 audit record",
    ]
