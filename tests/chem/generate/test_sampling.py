"""Syntax-aware (constrained) sampling: `Prior.sample(constrained=True)` and `SmilesSyntax`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helixforge.chem.generate.prior import Prior, tiny_prior
from helixforge.chem.generate.sampling import SmilesSyntax
from helixforge.chem.generate.vocab import SPECIALS
from helixforge.core.errors import ConfigError, InputError


def syntax_problems(prior: Prior, smiles: str, max_len: int) -> list[str]:
    """What a plain reading of the SMILES grammar finds wrong with a sample (empty: nothing)."""
    tokens = prior.vocab.tokenize(smiles) if smiles else []
    problems = []
    if not tokens:
        return ["empty"]
    if len(tokens) >= max_len:
        problems.append("no end token before max_len")
    depth, open_labels, prev = 0, set(), "start"
    for tok in tokens:
        if tok == "(":
            if prev not in ("atom", "ring", ")"):
                problems.append(f"'(' after {prev}")
            depth += 1
        elif tok == ")":
            if depth == 0:
                problems.append("')' without an open branch")
            depth -= 1
        elif tok.isdigit():
            if prev not in ("atom", "ring", "bond"):
                problems.append(f"ring label after {prev}")
            open_labels ^= {tok}
        prev = {"(": "(", ")": ")"}.get(tok, "ring" if tok.isdigit() else "atom")
        if tok in ("=", "#", "-"):
            prev = "bond"
    if depth:
        problems.append("unclosed branch")
    if open_labels:
        problems.append(f"unclosed ring label(s) {sorted(open_labels)}")
    return problems


def test_constrained_samples_are_syntactically_complete():
    prior = tiny_prior(seed=0)  # random weights: without the mask most samples are broken
    smiles, _ = prior.sample(200, seed=1, max_len=48, constrained=True)
    broken = {s: syntax_problems(prior, s, 48) for s in smiles if syntax_problems(prior, s, 48)}
    assert broken == {}
    plain, _ = prior.sample(200, seed=1, max_len=48)
    assert sum(bool(syntax_problems(prior, s, 48)) for s in plain) > 150


def test_rdkit_parses_constrained_samples():
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    prior = tiny_prior(seed=0)
    smiles, _ = prior.sample(300, seed=2, max_len=64, constrained=True)
    # The length rule can let a second ring bond between the same two atoms ("C12CC12") through
    # in the last few tokens (see SmilesSyntax); shorter samples always parse.
    short = [s for s in smiles if len(prior.vocab.tokenize(s)) < 48]
    assert len(short) > 30
    assert [s for s in short if Chem.MolFromSmiles(s, sanitize=False) is None] == []


@pytest.mark.parametrize("max_len", [2, 3, 6, 10])
def test_a_tight_max_len_still_ends_every_sample(max_len):
    prior = tiny_prior(seed=3)
    smiles, ll = prior.sample(200, seed=0, max_len=max_len, constrained=True)
    assert all(not syntax_problems(prior, s, max_len) for s in smiles)
    assert torch.isfinite(ll).all()


def test_max_len_one_is_refused_when_constrained():
    with pytest.raises(ConfigError, match="max_len >= 2"):
        tiny_prior().sample(4, seed=0, max_len=1, constrained=True)


def test_same_seed_same_constrained_samples():
    prior = tiny_prior(seed=0)
    a = prior.sample(50, seed=11, max_len=40, constrained=True)
    b = prior.sample(50, seed=11, max_len=40, constrained=True)
    assert a[0] == b[0] and torch.equal(a[1], b[1])
    assert prior.sample(50, seed=12, max_len=40, constrained=True)[0] != a[0]
    assert prior.sample(50, seed=11, max_len=40)[0] != a[0]  # the mask changes what is drawn


def test_constrained_loglikelihood_is_that_of_the_masked_policy():
    prior = tiny_prior(seed=0)
    smiles, ll = prior.sample(100, seed=3, max_len=48, constrained=True)
    again = prior.log_likelihood(smiles, constrained=True, max_len=48)
    assert torch.allclose(again.detach(), ll, atol=1e-3)
    raw = prior.log_likelihood(smiles).detach()  # the unmasked model's probability
    assert (ll >= raw - 1e-4).all() and (ll > raw + 0.1).float().mean() > 0.9


def test_constrained_temperature_keeps_the_temperature_one_likelihood():
    prior = tiny_prior(seed=0)
    smiles, ll = prior.sample(60, seed=5, temperature=0.7, max_len=48, constrained=True)
    again = prior.log_likelihood(smiles, constrained=True, max_len=48).detach()
    assert torch.allclose(again, ll, atol=1e-3)


def test_constrained_grad_sampling_carries_autograd_and_matches():
    prior = tiny_prior(seed=0)
    _, ll0 = prior.sample(32, seed=7, max_len=40, constrained=True)
    _, ll = prior.sample(32, seed=7, max_len=40, constrained=True, grad=True)
    assert ll.requires_grad and torch.allclose(ll.detach(), ll0, atol=1e-4)
    (-ll.mean()).backward()
    assert prior.model.head.weight.grad is not None
    assert torch.isfinite(prior.model.head.weight.grad).all()


@pytest.mark.parametrize("bad", ["C1CC", "CC)C", "C(C", "C11", "(C)C"])
def test_masked_likelihood_refuses_what_the_mask_never_samples(bad):
    prior = tiny_prior(seed=0)
    assert torch.isfinite(prior.log_likelihood(["CCO", bad]))[1]  # the raw model scores it
    with pytest.raises(InputError, match=r"smiles\[1\].*constrained"):
        prior.log_likelihood(["CCO", bad], constrained=True)


def test_masked_likelihood_refuses_a_too_long_smiles():
    with pytest.raises(InputError, match="max_len 4"):
        tiny_prior().log_likelihood(["CCCCC"], constrained=True, max_len=4)


def masks_after(prefix: list[str], max_len: int = 20) -> set[str]:
    """Tokens the mask allows after `prefix` on a small vocabulary."""
    tokens = [*SPECIALS, "(", ")", "1", "2", "=", "C", "c", "+"]
    syntax = SmilesSyntax(tokens, "cpu")
    state = syntax.start(1, max_len)
    for tok in prefix:
        syntax.update(state, torch.tensor([tokens.index(tok)]), torch.tensor([True]))
    allowed = syntax.allowed(state)[0]
    return {t for t, ok in zip(tokens, allowed.tolist(), strict=True) if ok}


def test_the_mask_step_by_step():
    assert masks_after([]) == {"C", "c"}  # an atom first
    assert masks_after(["C"]) == {"(", "1", "2", "=", "C", "c", "$"}  # no ')' yet
    assert masks_after(["C", "1"]) == {"(", "2", "=", "C", "c"}  # no self-bond, no end
    assert masks_after(["C", "1", "C"]) == {"(", "2", "=", "C", "c"}  # "C1C1" duplicates a bond
    assert "1" in masks_after(["C", "1", "C", "C"])
    assert masks_after(["C", "("]) == {"=", "C", "c"}
    assert masks_after(["C", "(", "="]) == {"C", "c"}  # no ring label after a branch's bond
    assert masks_after(["C", "(", "C"]) == {"(", ")", "1", "2", "=", "C", "c"}
    assert masks_after(["C", "(", "C", ")"]) == {"(", "=", "C", "c", "$"}
    assert "+" not in masks_after(["C"])  # not SMILES outside a bracket atom


def test_the_length_rule_forces_a_completion():
    prefix = ["C", "(", "C", "1", "C", "C"]  # 6 tokens; with max_len 9, 3 are left
    assert len(masks_after(prefix, max_len=20)) > 3
    assert masks_after(prefix, max_len=9) == {"1"}  # close the ring now,
    assert masks_after([*prefix, "1"], max_len=9) == {")"}  # then the branch,
    assert masks_after([*prefix, "1", ")"], max_len=9) == {"$"}  # then end: "C(C1CC1)"


def test_selfies_priors_ignore_constrained():
    prior = tiny_prior(seed=0, kind="selfies")
    a = prior.sample(20, seed=1, max_len=30, constrained=True)
    assert a[0] == prior.sample(20, seed=1, max_len=30)[0]


def test_vocabulary_without_atoms_is_refused():
    with pytest.raises(ConfigError, match="atom tokens"):
        SmilesSyntax([*SPECIALS, "(", ")"], "cpu")


def test_generate_cli_constrained_flag(tmp_path: Path):
    import pandas as pd
    from typer.testing import CliRunner

    from helixforge.cli.app import app

    tiny_prior().save(tmp_path / "p")
    base = ["chem", "generate", "--model", str(tmp_path / "p"), "--n", "40", "--max-len", "32"]
    res = CliRunner().invoke(app, [*base, "--constrained", "-o", str(tmp_path / "c.csv")])
    assert res.exit_code == 0, res.output
    prior = Prior.load(tmp_path / "p")
    df = pd.read_csv(tmp_path / "c.csv", keep_default_na=False)
    assert all(not syntax_problems(prior, s, 32) for s in df["smiles"])
    again = prior.log_likelihood(list(df["smiles"]), constrained=True, max_len=32).detach()
    assert torch.allclose(again, torch.tensor(df["log_likelihood"].values).float(), atol=1e-3)
    res = CliRunner().invoke(app, [*base, "--unconstrained", "-o", str(tmp_path / "u.csv")])
    assert res.exit_code == 0, res.output
    plain = pd.read_csv(tmp_path / "u.csv", keep_default_na=False)
    assert sum(bool(syntax_problems(prior, s, 32)) for s in plain["smiles"]) > 20


def test_vocabulary_tokens_are_classified():
    from helixforge.chem.generate.sampling import ATOM, BOND, OTHER, RING, token_class

    assert [token_class(t) for t in ["C", "Cl", "[nH]", "c", "*"]] == [ATOM] * 5
    assert [token_class(t) for t in ["=", "#", "-", "/", "\\", ":"]] == [BOND] * 6
    assert [token_class(t) for t in ["1", "9", "%10"]] == [RING] * 3
    assert [token_class(t) for t in ["+", "@", "[]", "%1"]] == [OTHER] * 4


def test_canonicalize_and_summaries_take_lists_only():
    from helixforge.chem.generate.sampling import canonicalize, summarize_samples

    assert canonicalize(["CCO", "C C", float("nan"), b"CCO", ""]) == ["CCO", None, None, None, None]
    with pytest.raises(InputError, match="one string"):
        canonicalize("CCO")  # it gave ['C', 'C', 'O']
    with pytest.raises(InputError, match="one string"):
        summarize_samples("CCO")


def test_samples_cut_at_max_len_are_invalid_and_counted(tmp_path: Path):
    """--max-len 1 gave validity 100%: every sample was cut after its first token, 'C', and
    the prefix parsed. A sample without its end token is not the prior's molecule."""
    import pandas as pd
    from typer.testing import CliRunner

    from helixforge.chem.generate.sampling import generate_molecules
    from helixforge.cli.app import app

    prior = tiny_prior()
    ended: list[bool] = []
    smiles, _ = prior.sample(40, seed=0, max_len=3, ended=ended)
    assert len(ended) == 40 and not all(ended)
    prior.save(tmp_path / "p")
    s = generate_molecules(tmp_path / "p", 30, tmp_path / "g.csv", seed=0, max_len=1)
    table = pd.read_csv(tmp_path / "g.csv")
    assert s["valid"] == 0 and not table["valid"].any() and s["truncated"] > 0
    long = generate_molecules(tmp_path / "p", 30, tmp_path / "l.csv", seed=0, max_len=400)
    assert long["truncated"] == 0
    args = ["chem", "generate", "--model", str(tmp_path / "p"), "--n", "20", "--max-len", "1",
            "-o", str(tmp_path / "c.csv"), "-q"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "validity 0.0%, uniqueness n/a" in res.output and "nan" not in res.output
    assert "samples reached --max-len 1 before their end token" in res.output


def test_generate_keeps_finished_chunks_and_resumes_to_the_same_bytes(tmp_path, monkeypatch):
    """`helix chem generate --n` up to 10 million ran for hours with nothing kept: an
    interruption lost every sample. Chunks are kept; --resume samples only the rest."""
    import pandas as pd

    import helixforge.chem.generate.sampling as sampling
    from helixforge.chem.generate.sampling import chunk_seed, generate_molecules

    tiny_prior().save(tmp_path / "p")
    monkeypatch.setattr(sampling, "CHUNK", 7)  # 20 samples: chunks of 7, 7 and 6
    kw = dict(seed=3, max_len=40)
    generate_molecules(tmp_path / "p", 20, tmp_path / "whole.csv", **kw)
    real, calls, fail = Prior.sample, [], [2]

    def sample(self, n, **k):
        calls.append(k["seed"])
        if len(calls) in fail:
            raise RuntimeError("killed in the second chunk")
        return real(self, n, **k)

    monkeypatch.setattr(Prior, "sample", sample)
    out = tmp_path / "run.csv"
    with pytest.raises(RuntimeError, match="second chunk"):
        generate_molecules(tmp_path / "p", 20, out, **kw)
    stage = tmp_path / ".run.csv.partial"
    assert not out.exists() and [p.name for p in stage.glob("chunk-*")] == ["chunk-00000.parquet"]
    with pytest.raises(ConfigError, match="seed"):  # another seed is not this run
        generate_molecules(tmp_path / "p", 20, out, seed=4, max_len=40, resume=True)
    calls.clear()
    fail.clear()
    generate_molecules(tmp_path / "p", 20, out, resume=True, **kw)
    assert calls == [chunk_seed(3, 1), chunk_seed(3, 2)]  # only the chunks left
    assert out.read_bytes() == (tmp_path / "whole.csv").read_bytes() and not stage.exists()
    # uniqueness is judged over the whole run, across chunks
    table = pd.read_csv(out)
    assert table["unique"].sum() == table.loc[table["valid"], "canonical_smiles"].nunique()


def test_a_run_of_one_chunk_is_one_plain_sample_call(tmp_path):
    from helixforge.chem.generate.sampling import generate_molecules

    prior = tiny_prior()
    prior.save(tmp_path / "p")
    generate_molecules(tmp_path / "p", 25, tmp_path / "g.csv", seed=5, max_len=40)
    import pandas as pd

    expected, _ = Prior.load(tmp_path / "p").sample(25, seed=5, max_len=40)
    assert pd.read_csv(tmp_path / "g.csv", keep_default_na=False)["smiles"].tolist() == expected
