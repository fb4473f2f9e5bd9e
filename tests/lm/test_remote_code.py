"""Model folders are data: code shipped in a fine-tuned run folder never runs on its own say-so.

A run folder whose helixforge_finetune.json says "trust_remote_code": true and whose config.json
points at a modeling .py that writes a marker file when imported: predicting with it (API and
CLI, lm and the dna adapter) must not import that file. Only an explicit opt-in may.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from helixforge.core.errors import ConfigError

EVIL = """
from pathlib import Path
Path({marker!r}).write_text("code from the model folder ran")
from transformers import BertConfig, BertForSequenceClassification
class EvilConfig(BertConfig):
    model_type = "evil_lm"
class EvilModel(BertForSequenceClassification):
    config_class = EvilConfig
"""


def _run_folder(tmp_path: Path, model_type: str) -> tuple[Path, Path]:
    """A finetune run folder (model/ + helixforge_finetune.json) carrying a malicious .py."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from helixforge.lm.tokenizers import build_tokenizer

    torch.manual_seed(0)
    run = tmp_path / f"run_{model_type}"
    model_dir = run / "model"
    tok = build_tokenizer("dna-char")
    cfg = BertConfig(
        vocab_size=len(tok),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=1,
    )
    BertForSequenceClassification(cfg).save_pretrained(str(model_dir))
    tok.save(model_dir)
    marker = tmp_path / f"pwned_{model_type}.txt"
    for name in ("modeling_evil.py", "configuration_evil.py"):
        (model_dir / name).write_text(EVIL.format(marker=str(marker)))
    config = json.loads((model_dir / "config.json").read_text())
    config["model_type"] = model_type
    config["auto_map"] = {
        "AutoConfig": "configuration_evil.EvilConfig",
        "AutoModelForSequenceClassification": "modeling_evil.EvilModel",
    }
    config["trust_remote_code"] = True
    (model_dir / "config.json").write_text(json.dumps(config))
    meta = {
        "base_model": str(model_dir),
        "task_types": ["binary"],
        "n_classes": None,
        "y_mean": [0.0],
        "y_std": [1.0],
        "max_len": 32,
        "stride_fraction": 0.5,
        "batch_size": 8,
        "lora": False,
        "trust_remote_code": True,  # the file asks; nothing may honour it
        "history": [],
    }
    (run / "helixforge_finetune.json").write_text(json.dumps(meta))
    (run / "helixforge_estimator.json").write_text(
        json.dumps({"name": "lm", "base_model": "x", "options": {"trust_remote_code": True}})
    )
    return run, marker


SEQS = ["ACGTACGTAC", "GGGCCCGGGA", "ATATATATAT"]


def test_builtin_architecture_loads_without_running_the_folder_code(tmp_path):
    from helixforge.lm.estimator import LMPropertyModel
    from helixforge.lm.finetune import FinetunedLM, predict

    run, marker = _run_folder(tmp_path, "bert")
    assert predict(run, SEQS).shape == (3, 1)
    assert FinetunedLM.load(run).predict(SEQS).shape == (3, 1)
    assert LMPropertyModel.load(run).predict(SEQS).shape == (3, 1)
    assert not marker.exists()


def test_custom_architecture_is_refused_without_an_explicit_opt_in(tmp_path):
    from helixforge.lm.estimator import LMPropertyModel
    from helixforge.lm.finetune import FinetunedLM

    run, marker = _run_folder(tmp_path, "evil_lm")
    with pytest.raises(ConfigError, match="--trust-remote-code"):
        FinetunedLM.load(run)
    with pytest.raises(ConfigError, match="--trust-remote-code"):
        LMPropertyModel.load(run)
    assert not marker.exists()


def test_dna_adapter_does_not_run_the_folder_code(tmp_path):
    lm_adapter = pytest.importorskip("helixforge.dna.models.lm_adapter")
    run, marker = _run_folder(tmp_path, "evil_lm")
    (run / lm_adapter.META_FILE).write_text(
        json.dumps({"format": lm_adapter.FORMAT, "task": "binary", "classes": [0, 1]})
    )
    with pytest.raises(ConfigError):
        lm_adapter.LMSequenceModel.load(run)
    assert not marker.exists()


@pytest.mark.parametrize("model_type", ["bert", "evil_lm"])
def test_cli_predict_does_not_run_the_folder_code(tmp_path, model_type):
    from helixforge.cli.app import app

    run, marker = _run_folder(tmp_path, model_type)
    pd.DataFrame({"sequence": SEQS}).to_csv(tmp_path / "in.csv", index=False)
    res = CliRunner().invoke(
        app, ["lm", "predict", str(run), str(tmp_path / "in.csv"), "-o", str(tmp_path / "p.csv")]
    )
    assert "Traceback" not in res.output
    if model_type == "bert":
        assert res.exit_code == 0, res.output
    else:
        assert res.exit_code == 2 and "--trust-remote-code" in res.output
        assert not (tmp_path / "p.csv").exists()
    assert not marker.exists()


def test_the_explicit_opt_in_is_what_runs_it(tmp_path):
    """Control: the folder's code is real and would run, but only when the caller asks."""
    from helixforge.lm.finetune import FinetunedLM

    run, marker = _run_folder(tmp_path, "evil_lm")
    try:
        FinetunedLM.load(run, trust_remote_code=True)
    except Exception:  # noqa: BLE001 - only the import side effect matters here
        pass
    assert marker.exists()
