"""Two floor endpoints for `bench/run`, mounted only when BENCH_ENDPOINTS=true (never in production).

`/api/v1/bench/floor` is the framework floor (no database); `/api/v1/bench/floor-db` runs one indexed
query returning 25 rows without authentication (the database-backed floor).
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from partnerdesk.access.permissions import OrgKind
from partnerdesk.api import public
from partnerdesk.tenancy.models import Organization

router = Router(tags=["bench"])


@router.get("/bench/floor", auth=None, summary="Benchmark floor: a trivial JSON response")
@public
def floor(request: HttpRequest) -> dict[str, Any]:
    return {"ok": True}


@router.get("/bench/floor-db", auth=None, summary="Benchmark floor: one indexed query, 25 rows")
@public
def floor_db(request: HttpRequest) -> dict[str, Any]:
    rows = (
        Organization.objects.filter(kind=OrgKind.CUSTOMER)
        .order_by("name", "id")
        .values_list("id", "name")[:25]
    )
    return {"items": [{"id": str(pk), "name": name} for pk, name in rows]}
