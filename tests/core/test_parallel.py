import pickle
import random

import numpy as np
import pytest

from helixforge.core.errors import ColumnNotFoundError, ConfigError, InputError
from helixforge.core.parallel import chunked, item_seed, parallel_map


def _square_sum(chunk, offset=0):
    return sum(x * x for x in chunk) + offset


def _noisy(x, scale=1.0):
    """Uses the global generators: deterministic only through parallel_map's seeding."""
    return (x, random.random(), float(np.random.rand() * scale))


def _fail_on(x, bad=(3,)):
    if x in bad:
        raise ValueError(f"bad item {x}")
    return x


def _helix_fail(x):
    if x == 2:
        raise ColumnNotFoundError(["nope"], ["a", "b"], "in.csv")
    return x


class _Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(a)
        self.lock = __import__("threading").Lock()


def _unpicklable_fail(x):
    if x == 1:
        raise _Unpicklable("cannot travel", 2)
    return x


def test_parallel_map_matches_serial_and_keeps_order():
    chunks = list(chunked(list(range(100)), 7))
    serial = parallel_map(_square_sum, chunks, n_jobs=1)
    multi = parallel_map(_square_sum, chunks, n_jobs=2, offset=0)
    assert serial == multi and sum(serial) == sum(x * x for x in range(100))


def test_unknown_backend_and_bad_chunk():
    with pytest.raises(ConfigError):
        parallel_map(_square_sum, [[1], [2]], n_jobs=2, backend="mpi")
    with pytest.raises(ConfigError):
        list(chunked([1, 2], 0))
    with pytest.raises(ConfigError, match="chunk_size"):
        parallel_map(_square_sum, [[1], [2]], n_jobs=2, chunk_size=0)


def test_seeded_results_do_not_depend_on_workers_backend_or_task_size():
    items = list(range(23))
    ref = parallel_map(_noisy, items, n_jobs=1, seed=7, scale=2.0)
    for n_jobs, chunk_size in [(2, None), (2, 1), (2, 5), (2, 100)]:
        got = parallel_map(_noisy, items, n_jobs=n_jobs, chunk_size=chunk_size, seed=7, scale=2.0)
        assert got == ref, (n_jobs, chunk_size)
    assert parallel_map(_noisy, items, backend="serial", seed=7, scale=2.0) == ref
    assert parallel_map(_noisy, items, n_jobs=1, seed=8, scale=2.0) != ref
    assert item_seed(7, 3) == item_seed(7, 3) != item_seed(7, 4)


def test_seeding_leaves_the_callers_generators_alone():
    random.seed(1)
    np.random.seed(1)
    expect = (random.random(), np.random.rand())
    random.seed(1)
    np.random.seed(1)
    parallel_map(_noisy, range(5), n_jobs=1, seed=3)
    assert (random.random(), np.random.rand()) == expect


@pytest.mark.parametrize("n_jobs, chunk_size", [(1, None), (2, None), (2, 4)])
def test_worker_errors_keep_type_and_carry_the_lowest_failing_index(n_jobs, chunk_size):
    with pytest.raises(ValueError, match="bad item 3") as err:
        parallel_map(_fail_on, range(12), n_jobs=n_jobs, chunk_size=chunk_size, bad=(3, 9, 10))
    assert err.value.item_index == 3
    assert "parallel_map: item 3" in err.value.__notes__


def test_helix_errors_cross_the_process_boundary_intact():
    with pytest.raises(ColumnNotFoundError) as err:
        parallel_map(_helix_fail, range(5), n_jobs=2)
    assert err.value.item_index == 2 and err.value.missing == ["nope"]
    assert "in.csv" in err.value.message and err.value.hint
    assert isinstance(err.value, InputError)


def test_unpicklable_worker_error_becomes_a_runtime_error_with_the_index():
    with pytest.raises(RuntimeError, match=r"item 1: _Unpicklable: cannot travel") as err:
        parallel_map(_unpicklable_fail, range(4), n_jobs=2)
    assert err.value.item_index == 1


def test_helix_errors_pickle_with_every_attribute():
    err = ColumnNotFoundError(["x"], ["a"], "f.csv")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ColumnNotFoundError and str(back) == str(err)
    assert (back.message, back.hint, back.missing, back.available) == (
        err.message,
        err.hint,
        ["x"],
        ["a"],
    )


def _die_on(x, bad=(), flag=None):
    """Kills its own worker process on the items in `bad` (as the OOM killer or a segfault would);
    with `flag`, only while that file exists (the first attempt)."""
    import os
    import signal
    from pathlib import Path

    if x in bad and (flag is None or Path(flag).exists()):
        if flag is not None:
            Path(flag).unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    return x * 10


def test_a_worker_killed_once_does_not_end_the_job(tmp_path):
    flag = tmp_path / "first-attempt"
    flag.touch()
    out = parallel_map(_die_on, range(8), n_jobs=2, bad=(3,), flag=str(flag))
    assert out == [x * 10 for x in range(8)]  # item 3 and its siblings ran again, alone


def test_an_item_that_kills_its_worker_even_alone_is_named():
    from helixforge.core.errors import WorkerCrashedError

    # the signal is named when the worker's exit status can still be read (most of the time:
    # concurrent.futures sometimes reaps it first); the hint then says what SIGKILL means
    with pytest.raises(WorkerCrashedError, match=r"(killed by SIGKILL|died) on item 5") as info:
        parallel_map(_die_on, range(8), n_jobs=2, chunk_size=2, bad=(5,))
    assert info.value.item_index == 5 and info.value.signal in ("SIGKILL", None)
    assert "out of memory" in info.value.hint or "out-of-memory" in info.value.hint


def _fail_or_die(x):
    import os
    import signal

    if x == 1:
        raise ValueError("bad item 1")
    if x == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_an_ordinary_error_before_a_crash_is_the_one_raised():
    with pytest.raises(ValueError, match="bad item 1"):
        parallel_map(_fail_or_die, range(8), n_jobs=2)


def test_a_worker_that_dies_while_items_are_still_submitted_is_recovered(tmp_path):
    from helixforge.core.errors import WorkerCrashedError

    flag = tmp_path / "first-attempt"
    flag.touch()
    out = parallel_map(_die_on, range(5000), n_jobs=2, bad=(0,), flag=str(flag))
    assert out == [x * 10 for x in range(5000)]  # a raw BrokenProcessPool escaped at submit
    with pytest.raises(WorkerCrashedError, match="item 0"):
        parallel_map(_die_on, range(5000), n_jobs=2, bad=(0,))


def _tens_or_segfault(xs, bad=()):
    """x * 10 for a chunk of inputs; the worker dies (as on a segfault in a compiled library)
    on a chunk that holds an input from `bad`."""
    import os
    import signal

    if any(x in bad for x in xs):
        os.kill(os.getpid(), signal.SIGSEGV)
    return [x * 10 for x in xs]


def _isolating(bad, calls=None):
    """An `on_crash` that bisects a chunk with `isolate_killers`: killers become None."""
    from helixforge.core.parallel import isolate_killers, run_in_fresh_worker

    def on_crash(index, xs, death):
        def run(keep, killers):
            if calls is not None:
                calls.append([xs[p] for p in keep])
            return run_in_fresh_worker(_tens_or_segfault, [xs[p] for p in keep], bad)

        out, killers = isolate_killers(run, len(xs), death, f"chunk {index}", unit="x")
        for pos, _ in killers:
            out.insert(pos, None)
        return out

    return on_crash


def test_on_crash_gives_the_result_of_a_chunk_without_its_killers():
    chunks = [[0, 1, 2], [3, 4, 5, 6, 7], [8, 9]]
    out = parallel_map(_tens_or_segfault, chunks, n_jobs=2, on_crash=_isolating({4, 7}), bad={4, 7})
    assert out == [[0, 10, 20], [30, None, 50, 60, None], [80, 90]]


def test_on_crash_runs_a_single_chunk_in_a_worker_so_this_process_survives():
    calls = []
    out = parallel_map(
        _tens_or_segfault, [[1, 2, 3]], n_jobs=2, on_crash=_isolating({2}, calls), bad={2}
    )
    assert out == [[10, None, 30]]
    # no input, then bisection ([1] and [2, 3], then [2] and [3]), then the rest
    assert calls == [[], [1], [2, 3], [2], [3], [1, 3]]


def test_isolate_killers_bisects_to_the_inputs_that_kill_and_names_how():
    from helixforge.core.parallel import WorkerDeath, isolate_killers

    segv = WorkerDeath(-11)
    runs = []

    def run(keep, killers):  # in-process stand-in: inputs 2 and 5 "kill their worker"
        runs.append((keep, killers))
        return segv if {2, 5} & set(keep) else sum(keep)

    result, killers = isolate_killers(run, 8, segv, "chunk 0")
    assert result == 0 + 1 + 3 + 4 + 6 + 7 and killers == [(2, segv), (5, segv)]
    assert runs[-1] == ([0, 1, 3, 4, 6, 7], killers) and all(not k for _, k in runs[:-1])
    assert (segv.how, segv.signal) == ("was killed by SIGSEGV", "SIGSEGV")
    assert (WorkerDeath(None).how, WorkerDeath(None).signal) == ("died", None)


def test_isolate_killers_stops_when_a_worker_dies_on_no_input_or_no_single_input():
    from helixforge.core.errors import WorkerCrashedError
    from helixforge.core.parallel import WorkerDeath, isolate_killers

    kill = WorkerDeath(-9)
    runs = []
    with pytest.raises(WorkerCrashedError, match="on chunk 3, and on no molecule at all") as info:
        isolate_killers(lambda keep, k: runs.append(keep) or kill, 8, kill, "chunk 3", "molecule")
    assert runs == [[]]  # the empty probe only: no bisection
    assert "no input is to blame" in info.value.hint and info.value.signal == "SIGKILL"
    # every input alone is fine, the whole chunk is not (memory): no killer to leave out
    with pytest.raises(WorkerCrashedError, match="killed by SIGKILL on chunk 3, also when"):
        isolate_killers(lambda keep, k: kill if len(keep) == 8 else 0, 8, kill, "chunk 3")


def test_pool_result_raises_for_a_future_a_broken_pool_orphaned():
    """CPython 3.11 can leave a task submitted while a worker died pending forever (the pool
    fails its pending tasks without the lock submit takes): parallel_map hung in result()."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool
    from types import SimpleNamespace

    from helixforge.core.parallel import pool_result

    with pytest.raises(BrokenProcessPool):
        pool_result(Future(), SimpleNamespace(_broken="A child process terminated abruptly"))
    done = Future()
    done.set_result(7)
    assert pool_result(done, SimpleNamespace(_broken="broken")) == 7
