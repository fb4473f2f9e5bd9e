"""Fine-tuning a pretrained checkpoint (ours or a published one) on labelled sequences.

    lm = FinetunedLM("runs/ecoli_lm", lora=True, epochs=5).fit(seqs, y, ["binary"])
    p = lm.predict(test_seqs)                       # (n, 1) probabilities
    finetune("runs/ecoli_lm", "train.csv", task="classification", valid="dev.csv", out="runs/prom")

Sequence-level tasks put a head on the checkpoint (AutoModelForSequenceClassification: the
[CLS] / last-token pooling its architecture uses) and train all weights, or only LoRA adapters on
every linear layer plus the new head (peft). Several tasks share one head (one output each):
binary columns use a masked BCE loss, regression columns a masked MSE on standardized targets,
so NaN labels (Tox21-style) are simply skipped. A multiclass task is one column of labels 0..k-1.

Sequences longer than the model's window are cut into overlapping windows; every window is a
training example with its sequence's label, and predictions average the windows' logits.
Token classification labels every position: the label column holds one integer per base or
character (e.g. "0001110" or "0 0 0 1 1 1 0"); each token takes the label of its first character.

The best epoch on the validation set (early stopping) is kept. LoRA weights are merged before
saving, so `out/model` is a plain transformers checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.core.errors import ConfigError, InputError, NoUsableRowsError
from helixforge.lm.batching import pad_batch, window_spans
from helixforge.lm.models import (
    count_parameters,
    default_max_len,
    load_pretrained,
    quiet_transformers,
    resolve_model_dir,
)

FINETUNE_FILE = "helixforge_finetune.json"
TASK_TYPES = ("regression", "binary", "multiclass")


class _Batches:
    """Re-iterable mini-batches; reshuffled on every pass (one pass = one epoch)."""

    def __init__(
        self,
        items: list[tuple[list[int], Any]],
        batch_size: int,
        pad_id: int,
        shuffle: bool,
        seed: int,
        collate,
    ):
        self.items = items
        self.batch_size = batch_size
        self.pad_id = pad_id
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.collate = collate

    def __len__(self) -> int:
        return (len(self.items) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        order = (
            self.rng.permutation(len(self.items)) if self.shuffle else np.arange(len(self.items))
        )
        for i in range(0, len(order), self.batch_size):
            yield self.collate([self.items[j] for j in order[i : i + self.batch_size]])


def _linear_module_names(model, exclude_prefixes: list[str]) -> list[str]:
    import torch

    names = []
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear) and not any(
            name == p or name.startswith(p + ".") for p in exclude_prefixes
        ):
            names.append(name)
    return names


def _apply_lora(model, missing_keys: list[str], r: int, alpha: int, dropout: float, task_type: str):
    """Wrap with LoRA adapters on every linear layer; newly initialised modules train in full."""
    import re

    from peft import LoraConfig, get_peft_model

    new_modules = sorted({k.rsplit(".", 1)[0] for k in missing_keys if "." in k})
    targets = _linear_module_names(model, new_modules)
    if not targets:
        raise ConfigError(
            "LoRA found no linear layers to adapt in this model", hint="fine-tune without --lora"
        )
    cfg = LoraConfig(
        task_type=task_type,
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules="^(" + "|".join(re.escape(t) for t in targets) + ")$",
        modules_to_save=new_modules or None,
    )
    import warnings

    with warnings.catch_warnings():  # peft calls a deprecated transformers property
        warnings.simplefilter("ignore", FutureWarning)
        return get_peft_model(model, cfg)


def _load_for_training(model_path, task: str, num_labels: int, trust_remote_code: bool):
    """(model, tokenizer, missing_keys) with a fresh head of `num_labels` outputs."""
    import transformers as tf

    from helixforge.lm.tokenizers import SequenceTokenizer

    quiet_transformers()
    model_dir = resolve_model_dir(model_path)
    auto = (
        tf.AutoModelForSequenceClassification
        if task == "sequence"
        else tf.AutoModelForTokenClassification
    )
    try:
        model, info = auto.from_pretrained(
            str(model_dir),
            num_labels=num_labels,
            local_files_only=True,
            trust_remote_code=trust_remote_code,
            output_loading_info=True,
        )
    except ValueError as exc:
        raise ConfigError(
            f"{model_dir}: cannot put a {task}-classification head on this checkpoint ({exc})",
            hint="models with custom code need --trust-remote-code",
        ) from exc
    tok = SequenceTokenizer.load(model_dir, trust_remote_code=trust_remote_code)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_id
    return model, tok, list(info.get("missing_keys", [])), model_dir


def _merge(peft_model):
    """Fold LoRA adapters into the weights: a plain transformers model again."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return peft_model.merge_and_unload()


class FinetunedLM:
    """A language model fine-tuned to predict one or more properties of a sequence."""

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        lora: bool = False,
        lora_r: int = 8,
        lora_alpha: int = 16,
        lora_dropout: float = 0.05,
        epochs: int = 5,
        lr: float | None = None,
        batch_size: int = 32,
        max_len: int | None = None,
        stride_fraction: float = 0.5,
        patience: int | None = 3,
        weight_decay: float = 0.01,
        device: str = "auto",
        threads: int | None = None,
        trust_remote_code: bool = False,
        quiet: bool = True,
    ):
        self.model_path = str(model_path)
        self.lora = lora
        self.lora_r, self.lora_alpha, self.lora_dropout = lora_r, lora_alpha, lora_dropout
        self.epochs = epochs
        self.lr = lr if lr is not None else (1e-3 if lora else 2e-4)
        self.batch_size = batch_size
        self.max_len = max_len
        self.stride_fraction = stride_fraction
        self.patience = patience
        self.weight_decay = weight_decay
        self.device = device
        self.threads = threads
        self.trust_remote_code = trust_remote_code
        self.quiet = quiet
        self.model = None
        self.tokenizer = None
        self.task_types: list[str] = []
        self.n_classes: int | None = None
        self.y_mean: np.ndarray | None = None
        self.y_std: np.ndarray | None = None
        self.history: list[dict[str, float]] = []
        self.trainable_parameters = 0

    # ---- windows -------------------------------------------------------------------------
    def _windows(self, seqs: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token windows of every sequence and the owner index of each window."""
        body = self.max_len - self.tokenizer.n_special
        stride = max(1, int(body * self.stride_fraction))
        windows, owner = [], []
        for i, ids in enumerate(self.tokenizer.tokenize_ids(list(seqs))):
            for a, b in window_spans(len(ids), body, stride):
                windows.append(self.tokenizer.with_specials(ids[a:b]))
                owner.append(i)
        return windows, np.asarray(owner, dtype=np.int64)

    # ---- training ------------------------------------------------------------------------
    def fit(
        self,
        sequences: Sequence[str],
        y: np.ndarray,
        task_types: Sequence[str],
        *,
        valid: tuple[Sequence[str], np.ndarray] | None = None,
        seed: int = 0,
    ) -> FinetunedLM:
        """Train on `sequences` with labels `y` (n, n_tasks; NaN = missing). `valid` is used for
        early stopping only; without it 10 % of the training set is held out for that."""
        import torch

        from helixforge.core.training import TrainConfig, fit, seed_everything, set_threads

        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1:
            y = y[:, None]
        task_types = [("binary" if t == "classification" else t) for t in task_types]
        bad = [t for t in task_types if t not in TASK_TYPES]
        if bad or len(task_types) != y.shape[1]:
            raise ConfigError(
                f"task_types {list(task_types)} do not match y with {y.shape[1]} column(s)",
                hint=f"one of {TASK_TYPES} per column",
            )
        if "multiclass" in task_types and len(task_types) > 1:
            raise ConfigError(
                "a multiclass task must be the only task",
                hint="train one model per multiclass column",
            )
        if len(sequences) != len(y):
            raise InputError(f"{len(sequences)} sequences but {len(y)} label rows")
        seed_everything(seed)
        set_threads(self.threads)
        self.task_types = list(task_types)
        if task_types[0] == "multiclass":
            labels = y[~np.isnan(y[:, 0]), 0]
            self.n_classes = int(labels.max()) + 1 if len(labels) else 2
            num_labels = self.n_classes
        else:
            num_labels = y.shape[1]
        if valid is None:
            rng = np.random.default_rng(seed)
            order = rng.permutation(len(y))
            n_valid = max(1, len(y) // 10) if len(y) >= 10 else 0
            vidx, tidx = order[:n_valid], order[n_valid:]
            valid = ([sequences[i] for i in vidx], y[vidx]) if n_valid else None
            sequences, y = [sequences[i] for i in tidx], y[tidx]

        reg = np.array([t == "regression" for t in task_types])
        self.y_mean = np.zeros(y.shape[1])
        self.y_std = np.ones(y.shape[1])
        if reg.any() and task_types[0] != "multiclass":
            self.y_mean[reg] = np.nanmean(y[:, reg], axis=0)
            std = np.nanstd(y[:, reg], axis=0)
            self.y_std[reg] = np.where(std > 0, std, 1.0)

        model, tok, missing, model_dir = _load_for_training(
            self.model_path, "sequence", num_labels, self.trust_remote_code
        )
        self.tokenizer = tok
        self.max_len = self.max_len or default_max_len(model_dir, model.config)
        if task_types == ["multiclass"]:
            model.config.problem_type = "single_label_classification"
        elif all(t == "regression" for t in task_types):
            model.config.problem_type = "regression"
        else:
            model.config.problem_type = "multi_label_classification"
        if self.lora:
            model = _apply_lora(
                model, missing, self.lora_r, self.lora_alpha, self.lora_dropout, "SEQ_CLS"
            )
        self.trainable_parameters = count_parameters(model, trainable_only=True)
        self.model = model

        def items(seqs, yy):
            windows, owner = self._windows(seqs)
            scaled = (yy - self.y_mean) / self.y_std
            return [(w, scaled[o]) for w, o in zip(windows, owner)]

        multiclass = task_types == ["multiclass"]

        def collate(batch):
            ids, attn = pad_batch([b[0] for b in batch], tok.pad_id)
            target = torch.tensor(np.stack([b[1] for b in batch]), dtype=torch.float32)
            return {"input_ids": ids, "attention_mask": attn, "y": target}

        reg_t = torch.tensor(reg)

        def loss_fn(m, batch):
            logits = m(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits.float()
            target = batch["y"]
            if multiclass:
                t = target[:, 0]
                ok = ~torch.isnan(t)
                return torch.nn.functional.cross_entropy(logits[ok], t[ok].long())
            ok = ~torch.isnan(target)
            t = torch.nan_to_num(target)
            bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, t, reduction="none")
            mse = (logits - t) ** 2
            per = torch.where(reg_t.to(logits.device), mse, bce) * ok
            return per.sum() / ok.sum().clamp(min=1)

        train_items = items(sequences, y)
        if not train_items:
            raise NoUsableRowsError("no training sequences left")
        train_batches = _Batches(train_items, self.batch_size, tok.pad_id, True, seed, collate)
        valid_batches = None
        if valid is not None and len(valid[0]):
            vy = np.asarray(valid[1], dtype=np.float64)
            vy = vy[:, None] if vy.ndim == 1 else vy
            valid_batches = _Batches(
                items(list(valid[0]), vy), self.batch_size, tok.pad_id, False, seed, collate
            )
        cfg = TrainConfig(
            epochs=self.epochs,
            lr=self.lr,
            weight_decay=self.weight_decay,
            patience=self.patience,
            device=self.device,
            warmup_fraction=0.1,
            quiet=self.quiet,
        )
        result = fit(model, train_batches, loss_fn=loss_fn, valid_batches=valid_batches, config=cfg)
        self.history = result.history
        if self.lora:
            self.model = _merge(self.model)
        self.model.eval()
        return self

    # ---- prediction ----------------------------------------------------------------------
    def _logits(self, sequences: Sequence[str]) -> np.ndarray:
        import torch

        if self.model is None:
            raise ConfigError("the model is not fitted", hint="call fit() or load() first")
        windows, owner = self._windows(sequences)
        device = next(self.model.parameters()).device
        out = []
        with torch.no_grad():
            for i in range(0, len(windows), self.batch_size):
                ids, attn = pad_batch(windows[i : i + self.batch_size], self.tokenizer.pad_id)
                out.append(
                    self.model(input_ids=ids.to(device), attention_mask=attn.to(device))
                    .logits.float()
                    .cpu()
                    .numpy()
                )
        logits = np.concatenate(out) if out else np.zeros((0, self.model.config.num_labels))
        summed = np.zeros((len(sequences), logits.shape[1]))
        np.add.at(summed, owner, logits)
        counts = np.bincount(owner, minlength=len(sequences))[:, None]
        return summed / np.maximum(counts, 1)

    def predict_proba(self, sequences: Sequence[str]) -> np.ndarray:
        """Multiclass: (n, k) class probabilities. Otherwise the same as `predict`."""
        z = self._logits(sequences)
        if self.task_types == ["multiclass"]:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=1, keepdims=True)
        return self.predict(sequences)

    def predict(self, sequences: Sequence[str]) -> np.ndarray:
        """(n, n_tasks): values for regression, P(class 1) for binary, the class for multiclass."""
        z = self._logits(sequences)
        if self.task_types == ["multiclass"]:
            return z.argmax(axis=1)[:, None].astype(float)
        out = np.empty_like(z)
        for j, t in enumerate(self.task_types):
            out[:, j] = (
                z[:, j] * self.y_std[j] + self.y_mean[j]
                if t == "regression"
                else 1 / (1 + np.exp(-z[:, j]))
            )
        return out

    # ---- persistence ---------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """`path/model` (save_pretrained + tokenizer) and `path/helixforge_finetune.json`."""
        from helixforge.core.artifacts import save_json

        p = Path(path)
        (p / "model").mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(p / "model"))
        self.tokenizer.save(p / "model")
        save_json(
            {
                "base_model": self.model_path,
                "task_types": self.task_types,
                "n_classes": self.n_classes,
                "y_mean": self.y_mean.tolist(),
                "y_std": self.y_std.tolist(),
                "max_len": self.max_len,
                "stride_fraction": self.stride_fraction,
                "batch_size": self.batch_size,
                "lora": self.lora,
                "history": self.history,
            },
            p / FINETUNE_FILE,
        )
        return p

    @classmethod
    def load(
        cls, path: str | os.PathLike, device: str = "cpu", *, trust_remote_code: bool = False
    ) -> FinetunedLM:
        """Load a saved model. Model folders are data: a `trust_remote_code` entry in its files
        is never honoured; only the `trust_remote_code` argument (--trust-remote-code) allows
        the folder's own Python code to run."""
        from helixforge.core.artifacts import load_json
        from helixforge.lm.models import check_remote_code

        p = Path(path)
        meta = load_json(p / FINETUNE_FILE)
        check_remote_code(p / "model", trust_remote_code)
        obj = cls(
            meta["base_model"],
            max_len=meta["max_len"],
            batch_size=meta.get("batch_size", 32),
            trust_remote_code=trust_remote_code,
        )
        obj.stride_fraction = meta.get("stride_fraction", 0.5)
        obj.lora = meta.get("lora", False)
        obj.task_types = meta["task_types"]
        obj.n_classes = meta.get("n_classes")
        obj.y_mean = np.asarray(meta["y_mean"], dtype=float)
        obj.y_std = np.asarray(meta["y_std"], dtype=float)
        obj.history = meta.get("history", [])
        obj.model, obj.tokenizer = load_pretrained(
            p / "model",
            task="sequence-classification",
            trust_remote_code=obj.trust_remote_code,
            device=device,
        )
        return obj


# ---- token classification -------------------------------------------------------------------
def _parse_position_labels(value: str) -> list[int]:
    s = str(value).strip()
    parts = s.split() if (" " in s or "," in s) else list(s)
    return [int(x) for x in (p.strip(",") for p in parts) if x != ""]


def _token_starts(tok, seq: str) -> list[int]:
    """Character index where each (non-special) token of `seq` starts."""
    if tok.spec.kind == "dna-kmer" and tok.spec.overlap:
        return list(range(max(len(seq) - tok.spec.k + 1, 1)))
    enc = tok.hf(tok.preprocess(seq), add_special_tokens=False, return_offsets_mapping=True)
    return [a for a, _ in enc["offset_mapping"]]


class TokenClassifierLM:
    """Per-position labels (e.g. gene / intergenic per base) on top of a pretrained checkpoint."""

    def __init__(self, model_path: str | os.PathLike, **kwargs: Any):
        self.inner = FinetunedLM(model_path, **kwargs)
        self.n_classes = 2

    def fit(
        self,
        sequences: Sequence[str],
        labels: Sequence[Sequence[int]],
        *,
        valid=None,
        seed: int = 0,
    ) -> TokenClassifierLM:
        """`labels[i]` holds one class per character of `sequences[i]`."""
        from helixforge.core.training import TrainConfig, fit, seed_everything, set_threads

        f = self.inner
        seed_everything(seed)
        set_threads(f.threads)
        self.n_classes = int(max((max(lab) for lab in labels if len(lab)), default=1)) + 1
        model, tok, missing, model_dir = _load_for_training(
            f.model_path, "token", self.n_classes, f.trust_remote_code
        )
        f.tokenizer, f.max_len = tok, f.max_len or default_max_len(model_dir, model.config)
        if f.lora:
            model = _apply_lora(model, missing, f.lora_r, f.lora_alpha, f.lora_dropout, "TOKEN_CLS")
        f.model = model
        prefix, suffix = tok.affixes()

        def items(seqs, labs):
            body = f.max_len - tok.n_special
            out = []
            for s, lab in zip(seqs, labs):
                ids = tok.tokenize_ids([s])[0]
                starts = _token_starts(tok, s)
                tl = [lab[a] if a < len(lab) else -100 for a in starts[: len(ids)]]
                for a, b in window_spans(len(ids), body, body):
                    out.append(
                        (
                            tok.with_specials(ids[a:b]),
                            [-100] * len(prefix) + tl[a:b] + [-100] * len(suffix),
                        )
                    )
            return out

        def collate(batch):
            ids, attn = pad_batch([b[0] for b in batch], tok.pad_id)
            lab, _ = pad_batch([b[1] for b in batch], -100)
            return {"input_ids": ids, "attention_mask": attn, "labels": lab}

        def loss_fn(m, batch):
            return m(**batch).loss

        tr = _Batches(items(sequences, labels), f.batch_size, tok.pad_id, True, seed, collate)
        va = (
            _Batches(items(*valid), f.batch_size, tok.pad_id, False, seed, collate)
            if valid
            else None
        )
        cfg = TrainConfig(
            epochs=f.epochs,
            lr=f.lr,
            patience=f.patience,
            device=f.device,
            quiet=f.quiet,
            warmup_fraction=0.1,
        )
        f.history = fit(model, tr, loss_fn=loss_fn, valid_batches=va, config=cfg).history
        if f.lora:
            f.model = _merge(f.model)
        f.model.eval()
        return self

    def predict(self, sequences: Sequence[str]) -> list[np.ndarray]:
        """Per-character class probabilities, (len(seq), n_classes) per sequence."""
        import torch

        f, tok = self.inner, self.inner.tokenizer
        prefix, _ = tok.affixes()
        body = f.max_len - tok.n_special
        device = next(f.model.parameters()).device
        out = []
        for s in sequences:
            ids = tok.tokenize_ids([s])[0]
            starts = _token_starts(tok, s)[: len(ids)]
            probs = np.zeros((len(ids), self.n_classes))
            with torch.no_grad():
                for a, b in window_spans(len(ids), body, body):
                    x = torch.tensor([tok.with_specials(ids[a:b])], device=device)
                    p = torch.softmax(f.model(input_ids=x).logits.float()[0], -1).cpu().numpy()
                    probs[a:b] = p[len(prefix) : len(prefix) + (b - a)]
            per_char = np.zeros((len(s), self.n_classes))
            bounds = [*starts[1:], len(s)]
            for t, (a, b) in enumerate(zip(starts, bounds)):
                per_char[a : max(b, a + 1)] = probs[t]
            out.append(per_char)
        return out

    def save(self, path: str | os.PathLike) -> Path:
        p = self.inner.save(path)
        from helixforge.core.artifacts import load_json, save_json

        meta = load_json(p / FINETUNE_FILE)
        save_json(
            {**meta, "task_types": ["token-classification"], "n_classes": self.n_classes},
            p / FINETUNE_FILE,
        )
        return p


# ---- the table-level entry point (CLI: helix lm finetune) -------------------------------------
def _read_labelled(path_or_df, seq_col: str, label_cols: list[str], task: str, errors):
    import pandas as pd

    from helixforge.core.tables import read_table, to_numeric_column

    if isinstance(path_or_df, pd.DataFrame):
        df, source = path_or_df, "<table>"
    else:
        df, source = read_table(path_or_df, columns=[seq_col, *label_cols]), str(path_or_df)
    errors.file = source
    keep = []
    for row, value in df[seq_col].items():
        if not isinstance(value, str) or not value.strip():
            errors.add(row, seq_col, value, "empty sequence")
        else:
            keep.append(row)
    df = df.loc[keep]
    if task == "token-classification":
        labs, ok = [], []
        for row, value in df[label_cols[0]].items():
            try:
                lab = _parse_position_labels(value)
            except ValueError:
                errors.add(
                    row, label_cols[0], value, "position labels must be integers, one per character"
                )
                continue
            if len(lab) != len(df.at[row, seq_col].strip()):
                errors.add(
                    row,
                    label_cols[0],
                    value,
                    f"{len(lab)} labels for a sequence of length {len(df.at[row, seq_col].strip())}",
                )
                continue
            labs.append(lab)
            ok.append(row)
        df = df.loc[ok]
        return df, [s.strip() for s in df[seq_col]], labs
    ys = []
    good = np.ones(len(df), dtype=bool)
    for col in label_cols:
        values, bad = to_numeric_column(df, col)
        for row in df.index[bad.to_numpy()]:
            errors.add(row, col, df.at[row, col], "label is not a number")
        good &= ~bad.to_numpy()
        ys.append(values.to_numpy())
    y = np.stack(ys, axis=1)[good]
    df = df.loc[good]
    labelled = ~np.all(np.isnan(y), axis=1)
    for row in df.index[~labelled]:
        errors.add(row, ",".join(label_cols), None, "no label")
    return df.loc[labelled], [s.strip() for s in df[seq_col][labelled]], y[labelled]


def finetune(
    model_path: str | os.PathLike,
    data,
    *,
    task: str = "classification",
    out: str | os.PathLike,
    valid=None,
    test=None,
    sequence_col: str = "sequence",
    label_cols: Sequence[str] = ("label",),
    lora: bool = False,
    epochs: int = 5,
    lr: float | None = None,
    batch_size: int = 32,
    max_len: int | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    device: str = "auto",
    threads: int | None = None,
    trust_remote_code: bool = False,
    quiet: bool = True,
) -> dict[str, Any]:
    """Fine-tune on a table (`sequence_col`, `label_cols`); write `out/` (model, metrics, errors).

    task: classification (binary or multiclass, from the labels), regression, token-classification.
    `valid` (early stopping) and `test` (reported metrics) are optional tables of the same shape.
    Returns the metrics dictionary.
    """
    from helixforge.core.artifacts import RunDir
    from helixforge.core.errors import RowErrors
    from helixforge.core.metrics import (
        classification_metrics,
        multiclass_metrics,
        regression_metrics,
    )

    if task not in {"classification", "regression", "token-classification"}:
        raise ConfigError(
            f"unknown task {task!r}", hint="use classification, regression or token-classification"
        )
    resolve_model_dir(model_path)  # fail early with a clear message
    label_cols = list(label_cols)
    run = RunDir(out)
    errors = RowErrors()
    df, seqs, y = _read_labelled(data, sequence_col, label_cols, task, errors)
    if max_rows and len(seqs) > max_rows:
        idx = np.random.default_rng(seed).choice(len(seqs), max_rows, replace=False)
        seqs = [seqs[i] for i in idx]
        y = [y[i] for i in idx] if task == "token-classification" else y[idx]
    if not len(seqs):
        errors.write(run / "errors.csv")
        raise NoUsableRowsError(f"{data}: no usable rows", hint=f"see {run / 'errors.csv'}")
    split = {}
    for name, src in (("valid", valid), ("test", test)):
        if src is not None:
            e = RowErrors()
            _, s, yy = _read_labelled(src, sequence_col, label_cols, task, e)
            errors.extend(e)
            split[name] = (s, yy)
    kw = dict(
        lora=lora,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        max_len=max_len,
        device=device,
        threads=threads,
        trust_remote_code=trust_remote_code,
        quiet=quiet,
    )
    metrics: dict[str, Any] = {
        "task": task,
        "n_train": len(seqs),
        "lora": lora,
        "rows_rejected": len(errors),
    }
    if task == "token-classification":
        model = TokenClassifierLM(model_path, **kw).fit(
            seqs, y, valid=split.get("valid"), seed=seed
        )
        if "test" in split:
            s, labs = split["test"]
            pred = model.predict(s)
            flat_y = np.concatenate([np.asarray(lab) for lab in labs])
            flat_p = np.concatenate(pred)
            metrics["test"] = (
                multiclass_metrics(flat_y, flat_p)
                if flat_p.shape[1] > 2
                else classification_metrics(flat_y, flat_p[:, 1])
            )
        model.save(run / ".")
        metrics["trainable_parameters"] = count_parameters(model.inner.model, trainable_only=False)
    else:
        if task == "regression":
            types = ["regression"] * len(label_cols)
        else:
            labels = y[~np.isnan(y)]
            multi = len(label_cols) == 1 and (labels.max() > 1 if len(labels) else False)
            types = ["multiclass"] if multi else ["binary"] * len(label_cols)
        model = FinetunedLM(model_path, **kw).fit(
            seqs, y, types, valid=split.get("valid"), seed=seed
        )
        metrics["task_types"] = types
        metrics["trainable_parameters"] = model.trainable_parameters
        if "test" in split:
            s, yy = split["test"]
            if types == ["multiclass"]:
                metrics["test"] = multiclass_metrics(yy[:, 0].astype(int), model.predict_proba(s))
            else:
                pred = model.predict(s)
                per = {}
                for j, (col, t) in enumerate(zip(label_cols, types)):
                    ok = ~np.isnan(yy[:, j])
                    fn = regression_metrics if t == "regression" else classification_metrics
                    per[col] = fn(yy[ok, j], pred[ok, j])
                metrics["test"] = per[label_cols[0]] if len(per) == 1 else per
        model.save(run.path)
        metrics["history"] = model.history
    errors.write(run / "errors.csv")
    run.save_metrics(metrics)
    run.save_config(
        {
            "model": str(model_path),
            "task": task,
            "sequence_col": sequence_col,
            "label_cols": label_cols,
            **{k: v for k, v in kw.items()},
            "seed": seed,
        }
    )
    run.save_versions([p for p in (data, valid, test) if isinstance(p, str | os.PathLike)])
    return metrics


def predict(
    model_dir: str | os.PathLike,
    sequences: Sequence[str],
    device: str = "cpu",
    *,
    trust_remote_code: bool = False,
) -> np.ndarray:
    """Predictions of a model saved by `finetune` / `FinetunedLM.save` (see `FinetunedLM.predict`)."""
    return FinetunedLM.load(model_dir, device=device, trust_remote_code=trust_remote_code).predict(
        sequences
    )
