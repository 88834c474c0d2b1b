"""Views, API modules, forms and the Graph surface look rows up only through the choke point.

The walker reads each `views.py`, `api.py`, `forms.py` and `graph.py` of every app and refuses a
`Model.objects` or `Model._default_manager` anywhere except as the queryset handed to
`policy.visible(...)` / `policy.get_visible(...)` (or `Model.objects.none()`, a form field's
placeholder). The few look-ups that must be unscoped say so,
greppably, at the end of the line or alone on the line above: `# unscoped: <reason>`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]
EDGE_MODULES = ("views.py", "api.py", "forms.py", "graph.py")
MANAGERS = {"objects", "_default_manager"}
SCOPING_CALLS = {"visible", "get_visible"}
ESCAPE = "# unscoped:"


def _is_scoping_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name in SCOPING_CALLS


def _is_empty_queryset(node: ast.Attribute, parents: dict[ast.AST, ast.AST]) -> bool:
    """`Model.objects.none()`: a form field's placeholder, filled from a scoped queryset later."""
    attribute = parents.get(node)
    return (
        isinstance(attribute, ast.Attribute)
        and attribute.attr == "none"
        and isinstance(parents.get(attribute), ast.Call)
    )


def _escaped(lines: list[str], lineno: int) -> bool:
    """`# unscoped: <reason>` at the end of the line, or alone on the line just above; a reason is due."""
    candidates = [lines[lineno - 1]]
    if lineno >= 2 and lines[lineno - 2].strip().startswith("#"):
        candidates.append(lines[lineno - 2])
    return any(ESCAPE in line and line.split(ESCAPE, 1)[1].strip() for line in candidates)


def unscoped_lookups(source: str, filename: str = "<sample>") -> list[str]:
    """`file:line` of every manager access that neither goes through policy nor carries the escape."""
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr in MANAGERS):
            continue
        if _is_empty_queryset(node, parents):
            continue
        if _escaped(lines, node.lineno):
            continue
        ancestor: ast.AST | None = parents.get(node)
        scoped = False
        while ancestor is not None and not scoped:
            scoped = _is_scoping_call(ancestor)
            ancestor = parents.get(ancestor)
        if not scoped:
            found.append(f"{filename}:{node.lineno}")
    return found


def edge_modules() -> list[Path]:
    return sorted(p for name in EDGE_MODULES for p in (PROJECT / "partnerdesk").glob(f"*/{name}"))


def test_it_reads_every_edge_module() -> None:
    names = {p.parent.name + "/" + p.name for p in edge_modules()}
    assert {"support/forms.py", "support/views.py", "support/api.py", "health/graph.py"} <= names


def test_no_edge_module_looks_rows_up_directly() -> None:
    offenders = [
        hit
        for path in edge_modules()
        for hit in unscoped_lookups(path.read_text(), str(path.relative_to(PROJECT)))
    ]
    assert offenders == []


SAMPLE = """
from partnerdesk.access import policy

def view(request, principal, pk):
    a = SupportRequest.objects.get(pk=pk)
    b = policy.get_visible(principal, SupportRequest.objects.select_related("customer"), pk=pk)
    c = policy.visible(principal, Service).filter(key="x")
    d = Organization._default_manager.filter(kind="partner")
    e = Counter.objects.get(name="x")  # unscoped: numbering, not a tenant's row
    f = Counter.objects.get(name="y")  # unscoped:
    g = Message.services.through.objects.filter(pk=pk)
    h = Service.objects.none()
    # unscoped: the counter behind numbers
    i = Counter.objects.get(name="z")
    return a, b, c, d, e, f, g, h, i
"""


def test_the_walker_catches_direct_lookups_and_honours_only_a_reasoned_escape() -> None:
    assert unscoped_lookups(SAMPLE) == ["<sample>:5", "<sample>:8", "<sample>:10", "<sample>:11"]
