import pytest


@pytest.fixture(scope="module")
def small_zoos():
    """Two small bundled zoos (fast): wine (tabular, 4 encoders) and text (3 LSA encoders)."""
    from core.spaces.zoo import Zoo

    return {"wine": Zoo("wine"), "text": Zoo("text")}
