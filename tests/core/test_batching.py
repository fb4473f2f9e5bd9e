"""core.batching: the memory checks that turn absurd size options into clear errors."""

import pytest

from helixforge.core.batching import is_out_of_memory, physical_memory, require_fits_memory
from helixforge.core.errors import ConfigError


def test_require_fits_memory_names_what_and_the_machine():
    ram = physical_memory()
    assert ram and ram > 2**26
    require_fits_memory(2**20, "a small thing", hint="-")
    with pytest.raises(ConfigError, match="--batch-size 9 needs about .* this machine has") as e:
        require_fits_memory(ram * 2, "--batch-size 9", hint="lower --batch-size")
    assert e.value.hint == "lower --batch-size"


def test_out_of_memory_errors_are_recognised_and_others_are_not():
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: 8 GB"))
    assert is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_out_of_memory_inside_the_guard_names_the_options():
    from helixforge.core.batching import out_of_memory_as_error

    with pytest.raises(ConfigError, match=r"--param channels=9 does not fit in memory \(can't"):
        with out_of_memory_as_error("--param channels=9", hint="lower it"):
            raise RuntimeError("can't allocate memory: you tried to allocate 9e12 bytes")
    with pytest.raises(RuntimeError, match="shapes"):  # other errors pass through
        with out_of_memory_as_error("x", hint="y"):
            raise RuntimeError("shapes cannot be multiplied")
