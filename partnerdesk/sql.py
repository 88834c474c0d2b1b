"""Query expressions shared by the apps."""

from __future__ import annotations

from django.db.models import Exists


class PerRowExists(Exists):
    """EXISTS answered for each outer row from an index, never by hashing the whole subquery.

    When PostgreSQL expects many outer rows (it ignores the LIMIT of a page when it estimates), it
    evaluates a correlated EXISTS inside an OR by hashing every row of the subquery's table first:
    a page of 50 Message center posts then read all 20,000 rows of each audience table, on every
    request. A subquery with an OFFSET cannot be turned into that hashed form, so each outer row
    probes the index instead: the cost follows the page, not the table (bench/RESULTS.md, 1a and 1b).
    """

    template = "EXISTS(%(subquery)s OFFSET 0)"
