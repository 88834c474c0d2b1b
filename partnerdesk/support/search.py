"""Help-article search: PostgreSQL full-text search, or SQLite FTS5 when running on SQLite.

Both rank by relevance and match any of the words, so a sentence typed as a request title still
finds the articles that share its important words.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection

from partnerdesk.support.models import HelpArticle

FTS_TABLE = "support_helparticle_fts"
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "") if len(w) > 1][:20]


def index(article: HelpArticle) -> None:
    """Refresh the article's row in the SQLite FTS5 table (PostgreSQL searches the columns)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM support_helparticle_fts WHERE article_id = %s", [article.pk.hex])
        cursor.execute(
            "INSERT INTO support_helparticle_fts (article_id, title, body) VALUES (%s, %s, %s)",
            [article.pk.hex, article.title, article.body],
        )


def search(queryset: Any, text: str, *, limit: int = 5) -> list[HelpArticle]:
    """The best-matching articles of `queryset` (already scoped to the reader) for `text`."""
    words = _words(text)
    if not words:
        return []
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="simple") + SearchVector(
            "body", weight="B", config="simple"
        )
        query = SearchQuery(" | ".join(words), search_type="raw", config="simple")
        return list(
            queryset.annotate(rank=SearchRank(vector, query))
            .filter(rank__gt=0)
            .order_by("-rank", "-updated_at")[:limit]
        )
    if connection.vendor == "sqlite":
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT article_id FROM support_helparticle_fts WHERE support_helparticle_fts MATCH %s "
                "ORDER BY bm25(support_helparticle_fts) LIMIT 100",
                [match],
            )
            ranked = [row[0] for row in cursor.fetchall()]
        found = {a.pk.hex: a for a in queryset.filter(pk__in=ranked)}
        return [found[key] for key in ranked if key in found][:limit]
    # Any other database: a plain substring match on the first word.
    return list(queryset.filter(title__icontains=words[0])[:limit])
