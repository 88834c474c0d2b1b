"""The help articles suggested while a customer files a request match the problem it describes (its
title and description), ranked by full-text relevance on both databases (PostgreSQL `ts_rank`,
SQLite FTS5 `bm25`); the chosen service only breaks ties, it never puts an unrelated article first.
"""

from __future__ import annotations

import pytest

from partnerdesk.access.principal import principal_for
from partnerdesk.support import knowledge, queries

pytestmark = pytest.mark.django_db

PROBLEM_TITLE = "Outlook keeps asking for my password"
PROBLEM_DESCRIPTION = "Since this morning Outlook prompts for the password again and again."


@pytest.fixture
def articles(world, service):
    operator = principal_for(world.user("operator.support_engineer"))

    def write(title: str, body: str, about: list) -> str:
        knowledge.save_article(operator, title=title, body=body, language="en", services=about)
        return title

    return {
        # About the chosen service and full of the problem's small words, but about something else.
        "service_only": write(
            "Set up mail forwarding",
            "To forward the mail of the mailbox to the address of the other mailbox, open the settings "
            "of the mailbox and for the forwarding choose the address.",
            [service],
        ),
        "best": write(
            "Outlook keeps asking for the password",
            "When Outlook prompts for the password again and again, remove the saved password from "
            "the credential manager and sign in to Outlook once more.",
            [],
        ),
        "partly": write(
            "Reset a forgotten password",
            "An admin resets the password in the admin center.",
            [],
        ),
    }


def suggested(world, service) -> list[str]:
    principal = principal_for(world.user("a1.global_admin"))
    text = f"{PROBLEM_TITLE} {PROBLEM_DESCRIPTION}"
    return [a.title for a in queries.self_help_articles(principal, text, service.pk)]


def test_the_article_matching_the_problem_comes_first_not_the_one_about_the_service(world, service, articles):
    found = suggested(world, service)

    assert found[0] == articles["best"]
    assert set(found) == set(articles.values())


def test_the_request_form_suggests_the_best_match_first(web, world, service, articles):
    page = (
        web("a1.global_admin")
        .post(
            "/admin/support/new/",
            {
                "service": str(service.pk),
                "title": PROBLEM_TITLE,
                "description": PROBLEM_DESCRIPTION,
                "severity": "moderate",
                "contact_name": "Chen",
                "contact_email": "chen@contoso.test",
                "contact_method": "email",
                "action": "check",
            },
        )
        .content.decode()
    )

    assert page.index(articles["best"]) < page.index(articles["partly"])
    assert page.index(articles["best"]) < page.index(articles["service_only"])


def test_an_article_about_the_service_wins_between_equal_matches(world, service):
    operator = principal_for(world.user("operator.support_engineer"))
    for about in ([], [service]):
        knowledge.save_article(
            operator,
            title="Outlook password prompts",
            body=f"Clear the saved password ({len(about)}).",
            language="en",
            services=about,
        )

    found = queries.self_help_articles(
        principal_for(world.user("a1.global_admin")), "outlook password", service.pk
    )

    assert [a.body for a in found] == ["Clear the saved password (1).", "Clear the saved password (0)."]
