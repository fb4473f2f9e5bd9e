"""Regenerate src/helixforge/datasets/catalog/chem.json from ../shared/data/chem/MANIFEST.md.

Only metadata (paths, checksums, licences, columns, task types, metrics) is written; the data stay
in the mirror. Run: python tools/build_chem_catalog.py [MIRROR]
"""

import json
import re
import sys
from pathlib import Path

mirror = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
manifest = (mirror / "chem" / "MANIFEST.md").read_text()
lb = json.loads((mirror / "chem/reference/tdc_admet_leaderboard_snapshot.json").read_text())

rows = {}
for line in manifest.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) >= 6 and re.fullmatch(r"[0-9a-f]{64}", cells[-1]):
        rows[cells[0]] = {
            "desc": cells[1],
            "source": cells[3],
            "license": cells[4],
            "sha256": cells[-1],
        }

MOLNET = {
    # name: (file, smiles col, targets, task, metric)
    "esol": ("moleculenet/esol_delaney.csv", "smiles", ["logp"], "regression", "rmse"),
    "freesolv": ("moleculenet/freesolv.csv", "smiles", ["freesolv"], "regression", "rmse"),
    "lipophilicity": ("moleculenet/lipophilicity.csv", "smiles", ["lipo"], "regression", "rmse"),
    "bbbp": ("moleculenet/bbbp.csv", "smiles", ["p_np"], "binary", "roc_auc"),
    "bace": ("moleculenet/bace.csv", "mol", ["Class"], "binary", "roc_auc"),
    "clintox": (
        "moleculenet/clintox.csv",
        "smiles",
        ["FDA_APPROVED", "CT_TOX"],
        "binary",
        "roc_auc",
    ),
    "tox21": ("moleculenet/tox21.csv", "smiles", None, "binary", "roc_auc"),
    "sider": ("moleculenet/sider.csv", "smiles", None, "binary", "roc_auc"),
    "hiv": ("moleculenet/hiv.csv.gz", "smiles", ["HIV_active"], "binary", "roc_auc"),
    "muv": ("moleculenet/muv.csv.gz", "smiles", None, "binary", "pr_auc"),
}
import gzip  # noqa: E402

entries = []
for name, (rel, smi, targets, task, metric) in MOLNET.items():
    if targets is None:
        opener = gzip.open if rel.endswith(".gz") else open
        with opener(mirror / "chem" / rel, "rt") as fh:
            targets = [c for c in fh.readline().strip().split(",") if c != smi]
    r = rows[rel]
    entries.append(
        {
            "name": f"moleculenet/{name}",
            "domain": "chem",
            "description": r["desc"].split(".")[0],
            "files": {"data": {"path": f"chem/{rel}", "sha256": r["sha256"]}},
            "source": r["source"],
            "license": r["license"],
            "smiles_col": smi,
            "targets": targets,
            "task": task,
            "metric": metric,
            "split": "none (use --split scaffold)",
        }
    )

TDC_METRIC = {"MAE": "mae", "Spearman": "spearman", "AUROC": "roc_auc", "AUPRC": "pr_auc"}
for task, info in sorted(lb.items()):
    files = {}
    for part in ("train_val", "test"):
        rel = f"tdc_admet/admet_group/{task}/{part}.csv"
        files[part] = {"path": f"chem/{rel}", "sha256": rows[rel]["sha256"]}
    r = rows[f"tdc_admet/admet_group/{task}/train_val.csv"]
    metric = TDC_METRIC[info["metric_name"]]
    entries.append(
        {
            "name": f"tdc/{task}",
            "domain": "chem",
            "description": r["desc"].split(";", 1)[-1].strip(),
            "files": files,
            "source": r["source"] + f" · leaderboard {info['url']}",
            "license": r["license"],
            "smiles_col": "Drug",
            "id_col": "Drug_ID",
            "targets": ["Y"],
            "task": "regression" if metric in {"mae", "spearman"} else "binary",
            "metric": metric,
            "split": "official: train_val / test (scaffold); valid by TDC get_train_valid_split(seed, 'scaffold', [0.875, 0.125])",
        }
    )

out = Path(__file__).resolve().parents[1] / "src/helixforge/datasets/catalog/chem.json"
out.write_text(json.dumps(entries, indent=1) + "\n")
print(f"wrote {len(entries)} entries to {out}")
