import pytest

from helixforge.core.errors import ConfigError
from helixforge.core.parallel import chunked, parallel_map


def _square_sum(chunk, offset=0):
    return sum(x * x for x in chunk) + offset


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
