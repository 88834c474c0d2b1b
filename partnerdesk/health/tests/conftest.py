from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.health.testing import Catalog, build_catalog


@pytest.fixture
def catalog(world: Any) -> Catalog:
    return build_catalog(world)
