"""Languages named in themselves, plurals that agree, a favicon, and long text that wraps."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from partnerdesk.access.principal import principal_for
from partnerdesk.support import support_requests, timeline
from partnerdesk.support.inputs import SupportRequestIn
from partnerdesk.testing import World


@pytest.mark.django_db
@pytest.mark.parametrize("page_language", ["en", "es", "zh-hans"])
def test_the_language_chooser_names_each_language_in_itself(web: Any, page_language: str) -> None:
    response = web(None).get("/account/signin/", headers={"accept-language": page_language})
    html = response.content.decode()
    assert f'<html lang="{page_language}">' in html
    for code, name in (("en", "English"), ("zh-hans", "简体中文"), ("es", "Español")):
        assert f'<option value="{code}"' in html
        assert f">{name}</option>" in html


@pytest.mark.django_db
def test_a_customers_language_shows_as_its_name(web: Any, world: World) -> None:
    world.customer_a1.language = "es"
    world.customer_a1.save(update_fields=["language"])
    html = web("a.helpdesk_agent").get(f"/partner/customers/{world.customer_a1.pk}/").content.decode()
    assert "<dd>Español</dd>" in html
    assert "<dd>es</dd>" not in html


@pytest.mark.parametrize(
    ("language", "tenants", "admins", "sentence"),
    [
        ("en", 1, 1, "This audience reaches 1 tenant and 1 admin."),
        ("en", 2, 5, "This audience reaches 2 tenants and 5 admins."),
        ("en", 0, 0, "This audience reaches 0 tenants and 0 admins."),
        ("es", 1, 3, "Esta audiencia llega a 1 inquilino y 3 administradores."),
        ("zh-hans", 1, 3, "此受众涵盖 1 个租户和3 位管理员。"),
    ],
)
def test_the_audience_reach_agrees_in_number(language: str, tenants: int, admins: int, sentence: str) -> None:
    with translation.override(language):
        html = render_to_string("health/_reach.html", {"reach": {"tenants": tenants, "admins": admins}})
    assert sentence in html


@pytest.mark.django_db
def test_every_page_links_the_favicon_and_it_is_served(web: Any) -> None:
    html = web(None).get("/account/signin/").content.decode()
    assert '<link rel="icon" href="/static/portals/favicon.svg" type="image/svg+xml">' in html
    icon = web(None).get("/static/portals/favicon.svg")
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.browser
def test_a_long_unbroken_reply_wraps_instead_of_widening_the_page(browsing: Any) -> None:
    world = browsing.world
    customer = principal_for(world.user("a1.global_admin"))
    request = support_requests.create_support_request(
        customer,
        SupportRequestIn(
            title="x" * 200,
            description="https://example.test/" + "a" * 10_000,
            severity="moderate",
            contact_name="Chen",
            contact_email="chen@contoso.test",
        ),
    )
    timeline.add_message(customer, request, body="b" * 10_000)
    for key, url in (
        ("a1.global_admin", f"/admin/support/{request.pk}/"),
        ("a.admin_agent", f"/partner/support/{request.pk}/"),
        ("a.admin_agent", "/partner/support/"),
    ):
        page = browsing.sign_in_as(key)
        page.goto(url)
        assert "aaaaaaaaaa" in page.content() or "xxxxxxxxxx" in page.content()
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.evaluate("window.innerWidth")
        assert width <= viewport, (url, width, viewport)
        page.close()


@pytest.mark.django_db
def test_a_user_without_a_language_gets_the_organizations_default_in_pages(web: Any, world: World) -> None:
    user = world.user("a1.global_admin")
    user.language = ""
    user.save(update_fields=["language"])
    world.customer_a1.language = "es"
    world.customer_a1.save(update_fields=["language"])

    html = web("a1.global_admin").get("/admin/", headers={"accept-language": "en"}).content.decode()

    assert '<html lang="es">' in html


@pytest.mark.django_db
def test_a_users_own_language_wins_over_the_organizations(web: Any, world: World) -> None:
    user = world.user("a1.global_admin")
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    world.customer_a1.language = "es"
    world.customer_a1.save(update_fields=["language"])

    html = web("a1.global_admin").get("/admin/").content.decode()

    assert '<html lang="zh-hans">' in html
