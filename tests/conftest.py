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
    inherited by the dashboard servers the browser tests start. numba's cache is kept between runs."""
    if "STITCHBOARD_CACHE_DIR" not in os.environ:
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="stitchboard-test-cache-"))
        os.environ["STITCHBOARD_CACHE_DIR"] = _OWN_CACHE[0]
    # numba's compiled code is keyed by the source and the versions, so reusing it is safe; a fresh folder per
    # run would make every test run (and each of its workers and servers) compile umap again
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                                                 / "stitchboard-tests" / "numba"))


def pytest_unconfigure(config):
    for d in _OWN_CACHE:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def zoo():
    from core.spaces.zoo import Zoo

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


# ---------------------------------------------------------------- tiny pretrained models
_TINY_WORDS = ("the a of and to in is was on for with as by at from cat dog sat mat big small red blue car runs "
               "fast music film game team match vote law market stock price science cell space code").split()


def build_tiny_models(folder: Path) -> dict[str, Path]:
    """Random tiny Hugging Face models saved with ``save_pretrained``: two BERTs with their own
    vocab file (hidden 32, 2 layers), two ViTs with an image processor (32 px, patch 8) and a
    CLIP (both towers, projection 16) with its image processor."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast, ViTConfig, ViTImageProcessor, ViTModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *_TINY_WORDS]))
    out = {}
    for seed in (0, 1):
        torch.manual_seed(seed)
        bert = BertModel(BertConfig(vocab_size=5 + len(_TINY_WORDS), hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=2, intermediate_size=64, max_position_embeddings=64))
        out[f"bert{seed}"] = folder / f"bert{seed}"
        bert.save_pretrained(out[f"bert{seed}"])
        BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(out[f"bert{seed}"])
        vit = ViTModel(ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                                 num_attention_heads=2, intermediate_size=64))
        out[f"vit{seed}"] = folder / f"vit{seed}"
        vit.save_pretrained(out[f"vit{seed}"])
        ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(out[f"vit{seed}"])
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    torch.manual_seed(2)
    tower = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
    clip = CLIPModel(CLIPConfig(text_config={**tower, "vocab_size": 99, "max_position_embeddings": 16,
                                             "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1},
                                vision_config={**tower, "image_size": 32, "patch_size": 8}, projection_dim=16))
    out["clip"] = folder / "clip"
    clip.save_pretrained(out["clip"])
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(out["clip"])
    return out


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    pytest.importorskip("transformers", reason="the pretrained extra is not installed")
    return build_tiny_models(tmp_path_factory.mktemp("tiny-models"))
