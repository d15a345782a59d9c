from collections.abc import Iterator

import pytest

from django.core.cache import cache

from govhall.cases.tests.conftest import felling, frank, on_day  # noqa: F401 - fixture
from govhall.catalog.tests.conftest import grace, helen  # noqa: F401 - fixtures
from govhall.dossier.tests.conftest import held, water_item  # noqa: F401 - fixtures
from govhall.licences.tests.conftest import (  # noqa: F401 - fixtures
    felling_type,
    forest_right_type,
    licensed_felling,
)


@pytest.fixture(autouse=True)
def _fresh_rate_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fast_backoff(settings: pytest.FixtureRequest) -> None:
    """Retries within milliseconds, so a test can wait for them."""
    settings.EXCHANGE_BACKOFF_BASE_SECONDS = 0.005
    settings.EXCHANGE_BACKOFF_CAP_SECONDS = 0.02
    settings.EXCHANGE_MESSAGE_BACKOFF_CAP_SECONDS = 0.02
