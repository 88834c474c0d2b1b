"""The audit log read in chromium in Spanish and in Chinese: the sentences, the labelled before →
after fields and the values in them are in the language the viewer chose with the chooser."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.audit.models import AuditEvent
from partnerdesk.audit.tests.test_readable_log import _blocked_on_behalf
from partnerdesk.subscriptions import lifecycle
from partnerdesk.subscriptions.tests.conftest import agent, build_catalog, subscribe

pytestmark = pytest.mark.browser


def choose_language(page: Any, code: str) -> None:
    """Pick a language with the chooser every page carries, as a person would."""
    page.select_option("#language-select", code)
    with page.expect_navigation():
        page.click("header form.language button[type=submit]")


def rows(page: Any) -> list[list[str]]:
    """Each labelled change of the page: [field, before, after]."""
    return [
        [cell.strip() for cell in row.split("\t")]
        for row in page.eval_on_selector_all(
            "[data-testid=changes] tbody tr",
            "rows => rows.map(r => [...r.children].map(c => c.textContent).join('\\t'))",
        )
    ]


@pytest.fixture
def events(browsing: Any) -> str:
    """A partner suspended a subscription for non-payment and, acting for Contoso, blocked a user."""
    world = browsing.world
    subscription = subscribe(world, build_catalog().basic_monthly, 5)
    lifecycle.suspend(agent(world), subscription, reason="non_payment")
    _blocked_on_behalf(world)
    return AuditEvent.objects.get(action="subscription.suspended").object_label


@pytest.mark.parametrize(
    ("language", "texts", "fields"),
    [
        (
            "es",
            {
                "h1": "Registro de auditoría",
                "blocked": "(Fabrikam, en nombre de Contoso) bloqueó el inicio de sesión de",
                "suspended": "suspendió {subscription}: Falta de pago",
                "language": "cambió el idioma de",
                "head": ["Campo", "Antes", "Después"],
            },
            [["Bloqueado", "No", "Sí"], ["Estado", "Activo", "Suspendido"], ["Idioma", "—", "Español"]],
        ),
        (
            "zh-hans",
            {
                "h1": "审核日志",
                "blocked": "（Fabrikam，代表 Contoso）阻止了",  # noqa: RUF001 (full-width punctuation is the point)
                "suspended": "暂停了 {subscription}：未付款",  # noqa: RUF001
                "language": "的语言",
                "head": ["字段", "之前", "之后"],
            },
            [["已阻止", "否", "是"], ["状态", "活动", "已暂停"], ["语言", "—", "简体中文"]],
        ),
    ],
    ids=["es", "zh-hans"],
)
def test_the_audit_log_reads_in_the_language_chosen(
    browsing: Any, events: str, language: str, texts: dict[str, Any], fields: list[list[str]]
) -> None:
    admin = browsing.sign_in_as("a1.global_admin")
    choose_language(admin, language)  # itself an event of the log: "changed the language of …"
    admin.goto("/admin/audit/")

    assert admin.text_content("main h1") == texts["h1"]
    sentences = admin.eval_on_selector_all("[data-testid=sentence]", "ps => ps.map(p => p.textContent)")
    assert any(texts["blocked"] in s for s in sentences), sentences
    assert any(texts["suspended"].format(subscription=events) in s for s in sentences), sentences
    assert any(texts["language"] in s for s in sentences), sentences
    heads = admin.eval_on_selector_all(
        "[data-testid=changes] thead th", "cells => cells.map(c => c.textContent)"
    )
    assert heads[:3] == texts["head"]
    shown = rows(admin)
    for field in fields:
        assert field in shown, shown
    assert "non_payment" not in " ".join(sentences)
    assert "{'" not in admin.text_content("main")  # no Python dict dumps
    # The raw record stays one click away, untranslated.
    admin.click("[data-testid=audit-event] details summary >> nth=0")
    assert '"status": "suspended"' in admin.content() or '"blocked": true' in admin.content()
