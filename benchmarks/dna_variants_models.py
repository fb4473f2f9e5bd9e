"""Supervised models for the variant-effect benchmark (benchmarks/dna_variants.py): one model
per GUE task relevant to regulatory elements, trained on GUE train, early-stopped on GUE dev,
saved under .bench/dna_variants/models/<task>/ (skipped when already there).

    /tmp/brief/cpujob .venv/bin/python benchmarks/dna_variants_models.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

MODEL_DIR = ROOT / ".bench" / "dna_variants" / "models"
# task → (architecture, epochs, lr, extra params); the settings of benchmarks/dna.py
SPECS = {
    "prom_core_all": ("resnet", 3, 2e-3),
    "prom_300_tata": ("resnet_pos", 8, 2e-3),
    "human_tf_0": ("resnet", 4, 2e-3),
    "human_tf_1": ("resnet", 4, 2e-3),
    "human_tf_2": ("resnet", 4, 2e-3),
    "human_tf_3": ("resnet", 4, 2e-3),
}


def train(task: str) -> dict:
    import pandas as pd
    import torch

    from helixforge.datasets.registry import resolve
    from helixforge.dna.models import SequenceModel

    torch.set_num_threads(1)
    arch, epochs, lr = SPECS[task]
    tr = pd.read_csv(resolve(f"gue/{task}", "train"))
    dev = pd.read_csv(resolve(f"gue/{task}", "dev"))
    est = SequenceModel(
        arch=arch, task="binary", epochs=epochs, lr=lr, batch_size=64, patience=3,
        threads=1, device="cpu", seed=0,
    )  # fmt: skip
    t0 = time.perf_counter()
    est.fit(
        list(tr["sequence"]), tr["label"].to_numpy(),
        valid=(list(dev["sequence"]), dev["label"].to_numpy()),
    )  # fmt: skip
    est.save(MODEL_DIR / task)
    info = {"task": task, "arch": arch, "epochs": epochs, "seconds": time.perf_counter() - t0,
            "train_len": int(tr["sequence"].str.len().median())}  # fmt: skip
    (MODEL_DIR / task / "bench.json").write_text(json.dumps(info))
    return info


LM_DIR = ROOT / ".bench" / "dna_variants" / "lm"
LM_TASKS = (
    "prom_core_all",
    "prom_300_tata",
    "human_tf_0",
    "human_tf_1",
    "human_tf_2",
    "human_tf_3",
)


def pretrain_lm(steps: int = 600, size: str = "micro") -> None:
    """A tiny causal DNA LM (`helix lm pretrain`, dna-char) on the human GUE train sequences
    (the only human DNA in the mirror; no download), for zero-shot likelihood ratios."""
    import subprocess

    import pandas as pd

    from helixforge.datasets.registry import resolve

    if (LM_DIR / "bench.json").exists():
        return
    corpus = LM_DIR.parent / "lm_corpus.fa"
    with open(corpus, "w") as fh:
        for task in LM_TASKS:
            for i, s in enumerate(pd.read_csv(resolve(f"gue/{task}", "train"))["sequence"]):
                fh.write(f">{task}_{i}\n{s}\n")
    t0 = time.perf_counter()
    cmd = [str(ROOT / ".venv" / "bin" / "helix"), "lm", "pretrain", "--corpus", str(corpus),
           "--tokenizer", "dna-char", "--arch", "decoder", "--size", size, "--max-len", "64",
           "--steps", str(steps), "--batch-size", "16", "--save-every", str(steps), "--lr", "1e-3", "--seed", "0",
           "--out", str(LM_DIR), "--overwrite", "--quiet"]  # fmt: skip
    subprocess.run(cmd, check=True)
    info = {"corpus": list(LM_TASKS), "steps": steps, "seconds": time.perf_counter() - t0,
            "arch": f"decoder {size}, dna-char, 64 tokens, batch 16"}  # fmt: skip
    (LM_DIR / "bench.json").write_text(json.dumps(info))


def main() -> None:
    if sys.argv[1:] == ["--lm"]:
        pretrain_lm()
        return
    for task in sys.argv[1:] or SPECS:
        if (MODEL_DIR / task / "bench.json").exists():
            continue
        print(task, "...", flush=True)
        print(train(task), flush=True)


if __name__ == "__main__":
    main()
