"""The server's background UMAP warm-up: waits for the first maps, runs once per process."""

import threading

from dashboard import warmup


def test_warm_up_waits_for_the_first_maps_then_runs_once(monkeypatch):
    monkeypatch.setattr(warmup, "_first_maps", threading.Event())
    monkeypatch.setattr(warmup, "_started", threading.Lock())
    calls = []
    thread = warmup.start(wait_s=30, delay_s=0.0, compile_fn=lambda: calls.append(1) or 0.5)
    assert thread is not None and thread.daemon
    thread.join(0.3)
    assert thread.is_alive() and not calls  # still waiting: no session has drawn its maps
    warmup.maps_drawn()
    thread.join(10)
    assert not thread.is_alive() and calls == [1]
    assert warmup.start(compile_fn=lambda: calls.append(2) or 0.0) is None  # once per process
    assert calls == [1]


def test_warm_up_gives_up_waiting_and_survives_a_failure(monkeypatch, capsys):
    monkeypatch.setattr(warmup, "_first_maps", threading.Event())
    monkeypatch.setattr(warmup, "_started", threading.Lock())

    def broken():
        raise RuntimeError("no numba here")

    thread = warmup.start(wait_s=0.05, delay_s=0.0, compile_fn=broken)
    thread.join(10)
    assert not thread.is_alive()
    assert "compiling UMAP in the background failed (RuntimeError: no numba here)" in capsys.readouterr().err


def test_no_second_compilation_after_a_sessions_umap(monkeypatch, capsys):
    monkeypatch.setattr(warmup, "_first_maps", threading.Event())
    monkeypatch.setattr(warmup, "_started", threading.Lock())
    monkeypatch.setattr(warmup, "_compiled_already", lambda: True)
    monkeypatch.setattr("core.layout.compile_umap", lambda **k: (_ for _ in ()).throw(AssertionError("compiled")))
    thread = warmup.start(wait_s=0.01, delay_s=0.0)
    thread.join(10)
    assert not thread.is_alive()
    assert "compil" not in capsys.readouterr().err  # neither "compiled in ... s" nor "compiling ... failed"


def test_compiled_already_sees_a_umap_run():
    from core.layout import compile_umap

    compile_umap()
    assert warmup._compiled_already()
