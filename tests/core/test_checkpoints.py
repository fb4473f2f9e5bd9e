"""core.checkpoints: what a refused --resume says changed."""

from __future__ import annotations

import pytest

from helixforge.core.checkpoints import VERSION_FIELD, check_resume_key, versioned_key
from helixforge.core.errors import ConfigError


def test_a_component_added_on_resume_is_named_not_printed_whole():
    """chem design --resume with a model component added printed the component's whole
    dictionary of file digests ('model:model: was None, now {'ad.json': '309b8b…', …})."""
    files = {f"f{i}.json": f"{i:x}" * 64 for i in range(8)}
    with pytest.raises(ConfigError) as e:
        check_resume_key(
            versioned_key({"budget": 3000, "model": None}), {"budget": 3000, "model": files}, "x"
        )
    msg = e.value.message
    assert "model: was None, now 8 entries (f0.json, f1.json, f2.json, …)" in msg
    assert len(msg) < 200 and "0000" not in msg


def test_a_long_value_is_clipped():
    with pytest.raises(ConfigError) as e:
        check_resume_key(versioned_key({"smiles": "C" * 500}), {"smiles": "N" * 500}, "x")
    assert len(e.value.message) < 300 and "…" in e.value.message


def test_a_run_started_by_another_helixforge_version_is_not_resumed(monkeypatch):
    """Resume keys held no version: after an upgrade --resume continued a run, mixing outputs
    of two versions. The version is in every stored key (versioned_key) and compared first."""
    import helixforge

    saved = versioned_key({"data": "ab" * 32, "seed": 0})
    check_resume_key(saved, {"data": "ab" * 32, "seed": 0}, "run")  # same version: resumes
    monkeypatch.setattr(helixforge, "__version__", "99.0.0")
    with pytest.raises(ConfigError) as e:
        check_resume_key(saved, {"data": "ab" * 32, "seed": 0}, "--resume run")
    was = saved[VERSION_FIELD]
    assert f"made by helixforge {was} and this is helixforge 99.0.0" in e.value.message
    assert f"finish it with helixforge {was}" in e.value.hint
    with pytest.raises(ConfigError, match=r"an earlier helixforge \(no version recorded\)"):
        check_resume_key({"data": "ab" * 32, "seed": 0}, {"data": "ab" * 32, "seed": 0}, "run")


def test_every_stored_resume_key_carries_the_version(tmp_path):
    """The places keys are written: a checkpoint's state, a supervised run's resume.json and a
    chunked job's state.json (chem predict / admet / dna predict); screen's is checked in
    tests/chem/screen."""
    import json

    import helixforge
    from helixforge.core.checkpoints import save_checkpoint
    from helixforge.core.supervised import RESUME_FILE, prepare_resume_stage
    from helixforge.core.supervised.predict import _resume_state

    torch = pytest.importorskip("torch")
    save_checkpoint(tmp_path / "ckpt", model=torch.nn.Linear(2, 1),
                    state={"step": 3, "resume_key": {"seed": 0}})  # fmt: skip
    state = json.loads((tmp_path / "ckpt" / "state.json").read_text())
    assert state["resume_key"] == {"seed": 0, VERSION_FIELD: helixforge.__version__}
    stage = prepare_resume_stage(tmp_path / "run", {"seed": 0}, resume=False)
    assert json.loads((stage / RESUME_FILE).read_text())[VERSION_FIELD] == helixforge.__version__
    job = _resume_state(tmp_path / "job", {"input": "ab"}, resume=False)
    assert job["key"][VERSION_FIELD] == helixforge.__version__


def test_a_chunked_job_of_another_version_is_not_continued(tmp_path, monkeypatch):
    import helixforge
    from helixforge.core.supervised.predict import _resume_state

    _resume_state(tmp_path / "job", {"input": "ab"}, resume=False)
    assert _resume_state(tmp_path / "job", {"input": "ab"}, resume=True)["done"] == []
    monkeypatch.setattr(helixforge, "__version__", "99.0.0")
    with pytest.raises(ConfigError, match=r"HelixForge version \(.* → 99.0.0; a job is never"):
        _resume_state(tmp_path / "job", {"input": "ab"}, resume=True)


def test_a_version_change_also_names_the_options_that_changed():
    saved = {"epochs": 99, "model": "resnet"}  # written before versions were recorded
    with pytest.raises(ConfigError) as e:
        check_resume_key(saved, {"epochs": 3, "model": "resnet"}, "run")
    assert "no version recorded" in e.value.message and "epochs: was 99, now 3" in e.value.message


def test_with_flags_a_refusal_leads_with_the_options_set_and_collapses_what_follows():
    """A verb that says which key entries are its options (flags) gets a refusal led by the
    ones that differ, the entries that follow from them counted (follows), and a hint with the
    values that continue the run; the refusal itself is the same ConfigError."""
    saved = versioned_key({"mode": "a", "n": 3, "settings": {"x": 1, "y": 2, "z": 3, "w": 4}})
    now = {"mode": "b", "n": 3, "settings": {"p": 1, "q": 2, "r": 3, "s": 4}}
    with pytest.raises(ConfigError) as e:
        check_resume_key(saved, now, "-o run", flags={"mode": "--mode", "n": "-n"},
                         follows={"mode": ("settings",)}, restart="use a new -o")  # fmt: skip
    assert e.value.message == (
        "-o run: cannot resume: the unfinished run used --mode a, this run asks for --mode b "
        "(and so 8 settings differ)"
    )
    assert e.value.hint == "to continue the unfinished run, rerun with --mode a; to start a " \
        "new run with these options, use a new -o"  # fmt: skip
    with pytest.raises(ConfigError, match=r"other inputs or options \(settings.p: was None"):
        check_resume_key(saved, {**now, "mode": "a"}, "run", flags={"mode": "--mode"})
