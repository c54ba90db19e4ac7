"""The worker pool (core.runtime.pool): crashes, hangs and memory hogs become our errors, one slot's
death never fails another's job, stop requests end jobs at once, progress flows, fresh slots are never reused."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from core.errors import CancelledError, LoadError
from core.runtime import pool as pool_mod
from core.runtime.pool import WorkerPool
from core.runtime.workers import WorkerLimits, worker_progress, worker_should_stop


# ---- jobs (module-level: they are pickled by reference)
def _pid():
    return os.getpid()


def _sleep(seconds, value=None):
    time.sleep(seconds)
    return value


def _segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


def _allocate(n_bytes):
    return np.ones(n_bytes, dtype=np.uint8).sum()


def _address_space_limit():
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]


def _count_until_stopped(report_every=0.01):
    """Reports progress until asked to stop, then raises CancelledError like core's Steps do."""
    i = 0
    while True:
        i += 1
        worker_progress(i, 10**6, f"step {i}")
        if worker_should_stop():
            raise CancelledError(f"stopped at step {i}")
        time.sleep(report_every)


def _ignore_stop():
    worker_progress(1, 2, "busy")
    time.sleep(120)


def _steps(n, pause):
    for i in range(1, n + 1):
        time.sleep(pause)
        worker_progress(i, n, f"step {i}/{n}")
    return n


_KEPT = []


def _keep_memory(n_bytes):
    """Holds ``n_bytes`` after it returns: loky restarts a worker whose memory grew that much."""
    time.sleep(1.1)  # loky looks at most once a second
    _KEPT.append(np.ones(n_bytes, dtype=np.uint8))
    return os.getpid()


def _shared_info(X):
    return type(X).__name__, str(getattr(X, "filename", "")), float(X.sum(dtype=np.float64)), X.flags.writeable


@pytest.fixture
def share_pool(monkeypatch):
    """Pools whose arrays of 1 MiB or more travel as files, freed memory kept (``keep="on"``) or not."""
    from core.runtime import control

    monkeypatch.setattr(control, "SHARE_MIN_BYTES", 1 << 20)
    pools = []

    def make(keep: str, workers: int, max_workers: int) -> WorkerPool:
        monkeypatch.setenv("STITCHBOARD_KEEP_FREED_MEMORY", keep)
        pools.append(WorkerPool(workers, max_workers, spare=False))
        return pools[-1]

    yield make
    for p in pools:
        p.shutdown()


@pytest.fixture
def pool():
    p = WorkerPool(2, 2, spare=False)
    p.warm_up()
    yield p
    p.shutdown()


def test_a_crash_is_a_load_error_and_does_not_fail_the_other_slots_job(pool):
    other = {}
    t = threading.Thread(target=lambda: other.update(out=pool.run(_sleep, 2.0, "finished")))
    t.start()
    time.sleep(0.3)  # the sleeper holds one slot
    with pytest.raises(LoadError, match=r"crashed \(its process ended with SIGSEGV.*STITCHBOARD_WORKER_MEMORY_MB"):
        pool.run(_segfault, what="the job")
    t.join()
    assert other["out"] == "finished"
    assert pool.run(_sleep, 0, 7) == 7  # the pool lives on: the crashed slot was replaced
    assert pool.status()["slots"] == 2


def test_a_hanging_job_is_stopped_at_its_time_limit(pool):
    t = time.monotonic()
    with pytest.raises(LoadError, match=r"the job took longer than the 1.5 s limit and was stopped "
                                        r"\(STITCHBOARD_WORKER_TIMEOUT_S\)"):
        pool.run(_sleep, 60, limits=WorkerLimits(timeout_s=1.5), what="the job")
    assert time.monotonic() - t < 6
    assert pool.run(_sleep, 0, "ok") == "ok"


def test_a_memory_hungry_job_is_refused_naming_the_setting(pool):
    limit = 1 << 30
    with pytest.raises(LoadError, match=r"out of memory \(its limit is 1.0 GiB, STITCHBOARD_WORKER_MEMORY_MB\)"):
        pool.run(_allocate, 3 << 30, limits=WorkerLimits(memory_bytes=limit))
    # each job gets its own limit in a reused slot: a later job is not stuck with the small one
    assert pool.run(_address_space_limit, limits=WorkerLimits(memory_bytes=limit)) == limit
    assert pool.run(_address_space_limit, limits=WorkerLimits(memory_bytes=3 * limit)) == 3 * limit


def test_stop_request_ends_a_job_within_a_poll_and_progress_flows(pool):
    seen, stop_at = [], []

    def progress(done, total, what):
        seen.append((done, what))

    def should_stop():
        if len(seen) >= 5 and not stop_at:
            stop_at.append(time.perf_counter())
        return bool(stop_at)

    with pytest.raises(CancelledError, match="stopped at step"):
        pool.run(_count_until_stopped, progress=progress, should_stop=should_stop)
    latency = time.perf_counter() - stop_at[0]
    print(f"stop request -> CancelledError {latency * 1e3:.0f} ms")
    assert latency < 0.5
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and len(set(dones)) >= 5 and seen[-1][1] == f"step {int(seen[-1][0])}"


def test_progress_reports_arrive_while_the_job_runs(pool):
    seen = []
    assert pool.run(_steps, 20, 0.1, progress=lambda d, t, w: seen.append((time.perf_counter(), d, t, w))) == 20
    assert len(seen) >= 10  # about one per report: the server polls every 50 ms, the job reports every 100 ms
    assert [s[1] for s in seen] == sorted(s[1] for s in seen) and seen[-1][1:] in ((20, 20, "step 20/20"),
                                                                                   (19, 20, "step 19/20"))
    assert seen[-1][0] - seen[0][0] > 1.0  # spread over the run, not delivered at its end


def test_a_job_that_ignores_the_stop_request_is_killed_after_the_grace(pool, monkeypatch):
    monkeypatch.setattr(pool_mod, "STOP_GRACE_S", 0.5)
    pids = set(pool.status()["pids"])
    t = time.monotonic()
    with pytest.raises(CancelledError, match="killed after 0.5 s"):
        pool.run(_ignore_stop, should_stop=lambda: True)
    assert time.monotonic() - t < 4
    assert pool.run(_sleep, 0, "next") == "next"
    assert set(pool.status()["pids"]) != pids  # a new process took the killed one's place


def test_progress_and_stop_still_work_after_loky_restarts_a_worker(monkeypatch):
    """loky replaces a worker whose memory grew by 300 MB since its first job; the new process
    must find the slot's control block too, or progress and stop requests would go nowhere."""
    monkeypatch.setenv("STITCHBOARD_KEEP_FREED_MEMORY", "off")  # on, workers keep memory on purpose and stay
    p = WorkerPool(1, 1, spare=False)
    try:
        first = p.run(_keep_memory, 400 << 20)
        seen = []
        with pytest.raises(CancelledError, match="stopped at step"):
            p.run(_count_until_stopped, progress=lambda *r: seen.append(r), should_stop=lambda: len(seen) >= 3,
                  limits=WorkerLimits(timeout_s=10))  # without the control block: a LoadError, not a hang
        assert p.status()["pids"] != [first]  # it ran in the new process
    finally:
        p.shutdown()


def test_a_result_over_the_size_limit_is_refused_in_the_worker(pool):
    with pytest.raises(LoadError, match=r"result is 2 MB, over the 1 MB limit \(STITCHBOARD_WORKER_RESULT_MB\)"):
        pool.run(np.zeros, 2_000_000, np.uint8, limits=WorkerLimits(max_result_bytes=1_000_000))
    assert pool.run(np.zeros, 10, np.uint8).shape == (10,)


def test_fresh_slots_are_never_reused():
    p = WorkerPool(1, 2, spare=True)
    try:
        pooled = p.run(_pid)
        fresh = [p.run(_pid, fresh=True) for _ in range(3)]
        assert len(set(fresh)) == 3 and pooled not in fresh
        assert p.run(_pid) == pooled  # the warm slot stays
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in fresh):
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in fresh)  # each fresh process ended after its job
    finally:
        p.shutdown()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie waiting to be reaped has ended too
        return fh.read().split(")")[-1].split()[0] != "Z"


def test_large_arrays_travel_as_shared_files_and_are_removed(share_pool):
    p = share_pool("off", 1, 1)  # no files kept for the next jobs
    X = np.arange(1 << 19, dtype=np.float64)  # 4 MiB
    kind, path, total, writeable = p.run(_shared_info, X)
    assert kind == "memmap" and path.endswith(".npy") and total == float(X.sum()) and writeable
    assert not os.path.exists(path)
    kind, *_ = p.run(_shared_info, X[:10])
    assert kind == "ndarray"  # small ones are pickled


def test_share_files_are_written_over_by_the_next_jobs_and_removed_at_shutdown(share_pool):
    p = share_pool("on", 2, 2)
    X = np.arange(1 << 19, dtype=np.float64)  # 4 MiB
    _, first, total, _ = p.run(_shared_info, X)
    assert total == float(X.sum()) and os.path.exists(first)  # kept, idle
    Y = np.arange(1 << 18, dtype=np.float32)[::-1].copy()  # smaller: fits the idle file
    _, again, total, writeable = p.run(_shared_info, Y)
    assert again == first and total == float(Y.sum()) and writeable  # the file's old tail is not read
    # two jobs at once cannot share a file: the second gets a new one
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(p.run(_slow_shared_path, X))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 2 and first in seen
    p.shutdown()
    assert not any(os.path.exists(f) for f in [first, *seen])


def _slow_shared_path(X):
    time.sleep(0.5)
    return str(X.filename)


def test_jobs_beyond_max_workers_wait_their_turn_in_order():
    p = WorkerPool(1, 2, spare=False)
    try:
        spans, waits = {}, []

        def job(i):
            t0 = time.perf_counter()
            p.run(_sleep, 1.0, progress=lambda d, t, w: waits.append((i, w)))
            spans[i] = (t0, time.perf_counter())

        threads = [threading.Thread(target=job, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
            time.sleep(0.2)
        for t in threads:
            t.join()
        ends = sorted(e for _, e in spans.values())
        assert ends[2] - ends[0] > 0.7  # the third job ran after one of the first two ended
        assert (2, "waiting for a free worker (2 busy)") in waits
        assert p.status()["slots"] == 2  # grown to max_workers, not beyond
    finally:
        p.shutdown()


def test_a_caller_that_leaves_early_frees_its_slot():
    p = WorkerPool(1, 1, spare=False)
    try:
        class Leave(BaseException):
            pass

        def progress(done, total, what):
            raise Leave  # e.g. Streamlit stopping the script from inside the callback

        with pytest.raises(Leave):
            p.run(_count_until_stopped, progress=progress)
        t = time.monotonic()
        assert p.run(_sleep, 0, "free") == "free"  # the abandoned job was stopped, its slot released
        assert time.monotonic() - t < 3
    finally:
        p.shutdown()


def test_workers_end_when_their_server_is_killed_outright():
    import glob
    import subprocess
    import sys

    script = ("import time, os, numpy as np\n"
              "from core.runtime.pool import WorkerPool; from core.runtime import control\n"
              "os.environ['STITCHBOARD_KEEP_FREED_MEMORY'] = 'on'; control.SHARE_MIN_BYTES = 1 << 20\n"
              "p = WorkerPool(2, 2, spare=False); p.warm_up()\n"
              "while p.status()['warm'] < 2: time.sleep(0.05)\n"
              "p.run(np.sum, np.ones(1 << 20))  # leaves a kept share file\n"
              "print(*p.status()['pids'], flush=True); time.sleep(300)")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    server = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(x) for x in server.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    finally:
        server.kill()  # SIGKILL: no atexit, no shutdown
        server.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)
    from core.runtime.control import shm_dir

    # the workers removed its control files and its kept share files
    assert glob.glob(str(shm_dir() / f"stitchboard-{server.pid}-*")) == []


def test_warm_up_of_some_slots_starts_only_those_until_asked_for_the_rest():
    """The server warms one worker for the first visit's maps and the others after them."""
    p = WorkerPool(3, 3, spare=False)
    try:
        p.warm_up(slots=1)
        deadline = time.monotonic() + 60
        while p.status()["warm"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert p.run(_sleep, 0, "done") == "done"
        time.sleep(0.3)  # a job's end used to top the pool up to all its workers
        assert p.status()["slots"] == 1
        p.warm_up()
        while p.status()["warm"] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert p.status()["slots"] == 3 and p.status()["warm"] == 3
    finally:
        p.shutdown()


def test_a_fresh_jobs_files_are_never_kept_for_later_jobs(share_pool):
    """A fresh job runs untrusted code: a file it could write to must not carry another job's input."""
    p = share_pool("on", 1, 2)
    X = np.arange(1 << 19, dtype=np.float64)
    _, path, total, _ = p.run(_shared_info, X, fresh=True)
    assert total == float(X.sum()) and not os.path.exists(path)
    _, later, _, _ = p.run(_shared_info, X)
    assert later != path


@pytest.mark.parametrize("wait_s", [0.0, 0.5, 1.5])
def test_exiting_while_workers_warm_up_prints_no_error(wait_s):
    """Each warm slot that finishes starting starts the next one; at exit loky refuses new work before our hook."""
    import subprocess
    import sys

    script = ("import time\nfrom core.runtime.pool import shared_pool\n"
              f"shared_pool().warm_up(); time.sleep({wait_s})\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "cannot schedule" not in done.stderr, done.stderr
