"""Help-article search: PostgreSQL full-text search, or SQLite FTS5 when running on SQLite.

Both rank by relevance and match any of the words, so a sentence typed as a request title still
finds the articles that share its important words.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import Value

from partnerdesk.support.models import HelpArticle

FTS_TABLE = "support_helparticle_fts"
# A word of the problem found in an article's title says more than one found in its body
# (PostgreSQL's weights A and B are 1.0 and 0.4: the same ratio).
TITLE_WEIGHT = 2.5
BODY_WEIGHT = 1.0
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
    """The best-matching articles of `queryset` (already scoped to the reader) for `text`, best first.

    Each carries its relevance as `rank` (higher is better). A word in the title counts more than
    one in the body, and long bodies do not win by length alone.
    """
    words = _words(text)
    if not words:
        return []
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="simple") + SearchVector(
            "body", weight="B", config="simple"
        )
        query = SearchQuery(" | ".join(words), search_type="raw", config="simple")
        # ts_rank, normalization 1: divided by 1 + log(document length).
        return list(
            queryset.annotate(rank=SearchRank(vector, query, normalization=Value(1)))
            .filter(rank__gt=0)
            .order_by("-rank", "-updated_at")[:limit]
        )
    if connection.vendor == "sqlite":
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        with connection.cursor() as cursor:
            # bm25 is lower for better matches; the weights are per column (article_id, title, body).
            cursor.execute(
                "SELECT article_id, -bm25(support_helparticle_fts, 0.0, %s, %s) AS score "
                "FROM support_helparticle_fts WHERE support_helparticle_fts MATCH %s "
                "ORDER BY score DESC LIMIT 100",
                [TITLE_WEIGHT, BODY_WEIGHT, match],
            )
            ranked = cursor.fetchall()
        found = {a.pk.hex: a for a in queryset.filter(pk__in=[key for key, _score in ranked])}
        best = []
        for key, score in ranked:
            if key in found:
                found[key].rank = score
                best.append(found[key])
        return best[:limit]
    # Any other database: a plain substring match on the first word.
    plain = list(queryset.filter(title__icontains=words[0])[:limit])
    for article in plain:
        article.rank = 1.0
    return plain
