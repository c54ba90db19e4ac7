import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def zoo():
    from core.zoo import Zoo

    return Zoo("digits")


@pytest.fixture(scope="session")
def train_spaces(zoo):
    return zoo.spaces("train")


@pytest.fixture(scope="session")
def test_spaces(zoo):
    return zoo.spaces("test")
