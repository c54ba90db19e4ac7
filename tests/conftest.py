import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


_OWN_CACHE: list = []


def pytest_configure(config):
    """Tests never read or fill the user's disk cache (~/.cache/stitchboard): one fresh folder per run,
    inherited by the dashboard servers the browser tests start."""
    if "STITCHBOARD_CACHE_DIR" not in os.environ:
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="stitchboard-test-cache-"))
        os.environ["STITCHBOARD_CACHE_DIR"] = _OWN_CACHE[0]


def pytest_unconfigure(config):
    for d in _OWN_CACHE:
        shutil.rmtree(d, ignore_errors=True)


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


# ---------------------------------------------------------------- fuzzing record
#: Filled by the fuzz suites (tests/test_fuzz_*.py): examples run and time per target.
FUZZ_STATS: dict[str, dict] = {}


#: Wall-clock seconds of the fuzz tests (generation, shrinking and the calls themselves).
FUZZ_WALL = {"seconds": 0.0, "tests": 0}


@pytest.fixture(scope="session")
def fuzz_stats():
    return FUZZ_STATS


def pytest_runtest_logreport(report):
    if "test_fuzz_" in report.nodeid and report.when == "call":
        FUZZ_WALL["seconds"] += report.duration
        FUZZ_WALL["tests"] += 1


def pytest_terminal_summary(terminalreporter):
    if not FUZZ_STATS:
        return
    total = sum(s["examples"] for s in FUZZ_STATS.values())
    seconds = sum(s["seconds"] for s in FUZZ_STATS.values())
    raised = sum(s["raised"] for s in FUZZ_STATS.values())
    terminalreporter.write_sep("-", "fuzzing")
    other = sum(s["other"] for s in FUZZ_STATS.values())
    terminalreporter.write_line(
        f"fuzz: {total} examples over {len(FUZZ_STATS)} targets, {seconds:.1f} s in the calls, "
        f"{FUZZ_WALL['seconds']:.1f} s wall for {FUZZ_WALL['tests']} fuzz tests "
        f"({total - raised - other} worked, {raised} raised our documented errors, {other} other exceptions)"
    )
    for name, s in sorted(FUZZ_STATS.items()):
        terminalreporter.write_line(
            f"  {name}: {s['examples']} examples, {s['raised']} raised our errors, {s['seconds']:.1f} s"
        )
    out = __import__("os").environ.get("STITCHBOARD_FUZZ_REPORT")
    if out:
        import json

        Path(out).write_text(json.dumps(
            {"total": total, "seconds": seconds, "wall_seconds": FUZZ_WALL["seconds"], "targets": FUZZ_STATS}, indent=2
        ))
