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
