"""torch's thread count is process-global: a library call that sets it for its own work gives the
caller's count back (`core.training.torch_threads` / `restores_torch_threads`). A fit that left
it at `threads=1` made later torch work in the caller's process sum floats in another order."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch

from helixforge.core.training import restores_torch_threads, set_threads, torch_threads

CALLER = 3  # differs from the threads=1 the calls below are given


@pytest.fixture
def caller_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(CALLER)
    yield CALLER
    torch.set_num_threads(before)


def test_torch_threads_sets_the_count_and_restores_it_after_an_error(caller_threads):
    with torch_threads(1) as n:
        assert n == torch.get_num_threads() == 1
    assert torch.get_num_threads() == caller_threads
    with pytest.raises(ValueError), torch_threads(2):
        raise ValueError("boom")
    assert torch.get_num_threads() == caller_threads
    with torch_threads(None) as n:  # None: the caller's count
        assert n == caller_threads


def test_the_decorator_restores_and_refuses_a_generator_function(caller_threads):
    @restores_torch_threads
    def work():
        set_threads(1)
        return torch.get_num_threads()

    assert work() == 1 and torch.get_num_threads() == caller_threads
    with pytest.raises(TypeError, match="generator function"):

        @restores_torch_threads
        def items():
            yield 1


def test_chem_mlp_fit_gives_the_callers_thread_count_back(caller_threads):
    from helixforge.chem.models.mlp import MiniMolMLP

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(12, 4)).astype(np.float32)
    model = MiniMolMLP(members=1, epochs=1, hidden=4, num_threads=1)
    model.fit(["C"] * 12, rng.normal(size=12), ["regression"], embeddings=emb)
    assert torch.get_num_threads() == caller_threads


def test_dna_sequence_model_fit_gives_the_callers_thread_count_back(caller_threads):
    from helixforge.dna.models import SequenceModel

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(16)]
    SequenceModel(arch="cnn", epochs=1, batch_size=8, threads=1).fit(seqs, np.arange(16) % 2)
    assert torch.get_num_threads() == caller_threads


def test_lm_fit_and_embed_table_give_the_callers_thread_count_back(caller_threads, tmp_path):
    from tiny_models import tiny_decoder

    from helixforge.lm.estimator import LMPropertyModel
    from helixforge.lm.tables import embed_table

    model_dir = str(tiny_decoder(tmp_path / "dec"))
    seqs = ["ACGTACGTAC", "TTGACCATGA", "GGGCCCAATT", "ACACACGTGT"]
    LMPropertyModel(model_dir, epochs=1, device="cpu", threads=1).fit(
        seqs, [1.0, 2.0, 3.0, 4.0], ["regression"]
    )
    assert torch.get_num_threads() == caller_threads
    (tmp_path / "in.csv").write_text("sequence\n" + "\n".join(seqs) + "\n")
    embed_table(model_dir, tmp_path / "in.csv", tmp_path / "emb.npy", threads=1, device="cpu")
    assert torch.get_num_threads() == caller_threads


def test_a_dna_verb_run_in_process_gives_the_callers_thread_count_back(caller_threads):
    from helixforge.cli.dna_analysis import use_jobs

    with use_jobs(1) as n:
        assert n == torch.get_num_threads() == 1
    assert torch.get_num_threads() == caller_threads


# ---------------------------------------------------------------------------- the guard
SRC = Path(__file__).resolve().parents[2] / "src" / "helixforge"
HOME = SRC / "core" / "training.py"  # the one place that sets torch's count directly
RAW = {"set_num_threads", "set_num_interop_threads"}
SCOPES = {"torch_threads", "use_jobs"}  # context managers that set the count for a block


def _name(node: ast.AST) -> str:
    """'f' for f, f(...), x.f and x.f(...)."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _walk(node: ast.AST, funcs: tuple = ()):
    """Every node with the functions around it (innermost last)."""
    yield node, funcs
    inner = funcs + (node,) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else funcs
    for child in ast.iter_child_nodes(node):
        yield from _walk(child, inner)


def _decorated(func, name: str) -> bool:
    return any(_name(d) == name for d in func.decorator_list)


def _yields_inside(with_node: ast.With) -> bool:
    """A yield in the block itself (not in a function defined there)."""
    todo = list(with_node.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))
    return False


def thread_count_faults(path: Path, root: Path = SRC) -> tuple[list[str], int]:
    """(the places in `path` that set torch's thread count without giving it back, the number
    of places that set it correctly)."""
    rel = path.relative_to(root.parent)
    faults, ok = [], 0
    for node, funcs in _walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if path != HOME and (
            (isinstance(node, ast.Attribute | ast.Name) and _name(node) in RAW)
            or (isinstance(node, ast.ImportFrom) and any(a.name in RAW for a in node.names))
        ):
            faults.append(f"{where}: torch.{_name(node) or 'set_num_threads'} outside {HOME.name}")
        if isinstance(node, ast.Call) and _name(node) == "set_threads" and path != HOME:
            if funcs and _decorated(funcs[-1], "restores_torch_threads"):
                ok += 1
            else:
                faults.append(
                    f"{where}: set_threads() in a function without @restores_torch_threads"
                )
        if isinstance(node, ast.With | ast.AsyncWith) and any(
            _name(item.context_expr) in SCOPES for item in node.items
        ):
            ok += 1
            if _yields_inside(node) and not (funcs and _decorated(funcs[-1], "contextmanager")):
                faults.append(f"{where}: yields inside `with torch_threads(...)`")
    return faults, ok


def test_no_library_code_leaves_torchs_thread_count_changed():
    """Set it with `with torch_threads(n):`, or with `set_threads(n)` inside a function decorated
    with `@restores_torch_threads` (never a generator); never with torch.set_num_threads."""
    faults, ok = [], 0
    for path in sorted(SRC.rglob("*.py")):
        f, n = thread_count_faults(path)
        faults += f
        ok += n
    assert not faults, "\n".join(faults)
    assert ok >= 10  # the scan saw the real callers (a wrong SRC would pass vacuously)


@pytest.mark.parametrize(
    "code",
    [
        "import torch\ndef f(n):\n    torch.set_num_threads(n)\n",
        "from torch import set_num_threads\n",
        "from helixforge.core.training import set_threads\ndef fit(self):\n    set_threads(2)\n",
        "def f():\n    with torch_threads(2):\n        yield 1\n",
        "@restores_torch_threads\ndef f():\n    def g():\n        set_threads(2)\n    g()\n",
    ],
)
def test_the_guard_catches_each_leaking_shape(code, tmp_path):
    (tmp_path / "mod.py").write_text(code)
    faults, _ = thread_count_faults(tmp_path / "mod.py", root=tmp_path)
    assert faults
