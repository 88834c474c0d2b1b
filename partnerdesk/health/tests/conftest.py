from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.health.testing import Catalog, build_catalog


@pytest.fixture
def catalog(world: Any) -> Catalog:
    return build_catalog(world)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Attachments go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT
