"""Transformer language models built from transformers configs (no download), and loading of
local checkpoints, ours or published ones in Hugging Face layout.

Architectures (`arch`):

    encoder   ModernBERT masked LM: rotary positions (no learned position table, so windows
              longer than pretraining degrade gracefully), alternating local/global attention
    bert      classic BERT masked LM (learned absolute positions), DNABERT-style
    decoder   Llama causal LM: rotary positions, RMSNorm, SwiGLU
    gpt2      GPT-2 causal LM (learned absolute positions)

Size presets (hidden, layers, heads, feed-forward): micro 32/2/2/64 (tests), tiny 128/2/2/512,
small 256/4/4/1024, base 768/12/12/3072 (BERT-base). `describe_sizes()` prints parameter counts.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from helixforge.core.errors import ConfigError, DataUnavailableError, InputError

SIZES: dict[str, dict[str, int]] = {
    "micro": {"hidden": 32, "layers": 2, "heads": 2, "ffn": 64},
    "tiny": {"hidden": 128, "layers": 2, "heads": 2, "ffn": 512},
    "small": {"hidden": 256, "layers": 4, "heads": 4, "ffn": 1024},
    "base": {"hidden": 768, "layers": 12, "heads": 12, "ffn": 3072},
}
ARCHS = ("encoder", "bert", "decoder", "gpt2")
CAUSAL_ARCHS = {"decoder", "gpt2"}
META_FILE = "helixforge_lm.json"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def quiet_transformers() -> None:
    """Silence load reports and progress bars; set offline mode (nothing downloads)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def make_config(
    arch: str, size: str | dict[str, int], vocab_size: int, max_len: int, **overrides: Any
):
    """A transformers config for `arch` at `size` (a preset name or a dict like SIZES values)."""
    import transformers as tf

    if arch not in ARCHS:
        raise ConfigError(f"unknown architecture {arch!r}", hint=f"use one of {', '.join(ARCHS)}")
    if isinstance(size, str):
        if size not in SIZES:
            raise ConfigError(f"unknown size {size!r}", hint=f"use one of {', '.join(SIZES)}")
        dims = dict(SIZES[size])
    else:
        dims = {**SIZES["tiny"], **size}
    h, n_layers, heads, ffn = dims["hidden"], dims["layers"], dims["heads"], dims["ffn"]
    if h % heads:
        raise ConfigError(f"hidden size {h} is not divisible by {heads} heads")
    special = {"pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3}
    # The BERT-family and Llama configs name their sizes alike; GPT-2 uses its own names.
    common = dict(
        vocab_size=vocab_size,
        hidden_size=h,
        num_hidden_layers=n_layers,
        num_attention_heads=heads,
        intermediate_size=ffn,
        **special,
    )
    if arch == "encoder":
        cfg = tf.ModernBertConfig(
            **common,
            max_position_embeddings=max(max_len, 8192),
            local_attention=128,
            global_attn_every_n_layers=3,
            cls_token_id=2,
            sep_token_id=3,
        )
    elif arch == "bert":
        cfg = tf.BertConfig(**common, max_position_embeddings=max_len)
    elif arch == "decoder":
        cfg = tf.LlamaConfig(
            **common,
            num_key_value_heads=heads,
            max_position_embeddings=max(max_len, 8192),
            tie_word_embeddings=True,
        )
    else:
        cfg = tf.GPT2Config(
            vocab_size=vocab_size,
            n_embd=h,
            n_layer=n_layers,
            n_head=heads,
            n_inner=ffn,
            n_positions=max_len,
            **special,
        )
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


def build_model(
    arch: str, size: str | dict[str, int], vocab_size: int, max_len: int, **overrides: Any
):
    """A freshly initialised masked-LM (encoder, bert) or causal-LM (decoder, gpt2) model."""
    import transformers as tf

    from helixforge.core.options import require_int

    vocab_size = require_int(vocab_size, "vocab_size", min_value=2)  # len(tokenizer)
    max_len = require_int(max_len, "max_len", min_value=2)
    quiet_transformers()
    cfg = make_config(arch, size, vocab_size, max_len, **overrides)
    cls = {
        "encoder": tf.ModernBertForMaskedLM,
        "bert": tf.BertForMaskedLM,
        "decoder": tf.LlamaForCausalLM,
        "gpt2": tf.GPT2LMHeadModel,
    }[arch]
    return cls(cfg)


def count_parameters(model, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def describe_sizes(vocab_size: int = 64, max_len: int = 512) -> list[dict[str, Any]]:
    """Parameter counts of every (arch, size) preset at a given vocabulary size."""
    import torch

    rows = []
    for size in SIZES:
        for arch in ARCHS:
            with torch.device("meta"):
                model = build_model(arch, size, vocab_size, max_len)
            rows.append(
                {"arch": arch, "size": size, **SIZES[size], "parameters": count_parameters(model)}
            )
    return rows


def is_causal_config(config) -> bool:
    """True for decoder (causal LM) checkpoints."""
    archs = getattr(config, "architectures", None) or []
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs):
        return True
    if any(a.endswith("ForMaskedLM") for a in archs):
        return False
    return bool(getattr(config, "is_decoder", False)) or config.model_type in {
        "llama",
        "gpt2",
        "mistral",
        "qwen2",
        "gpt_neox",
        "hyenadna",
    }


_CHECKPOINT_HINT = (
    "pass a directory written by save_pretrained / `helix lm pretrain` / `helix lm finetune`"
)


def check_model_dir(path: str | os.PathLike) -> Path:
    """A local checkpoint directory, or a clear error (never a download)."""
    from helixforge.core.artifacts import refuse_foreign
    from helixforge.lm.inputs import as_path

    s = str(as_path(path, "model path"))
    p = Path(s).expanduser()
    if p.exists():  # a run of another domain, a prior, a file …: say what it is
        refuse_foreign(
            p, "a language-model checkpoint", _CHECKPOINT_HINT, allow={"lm"}, domain="lm"
        )
    if p.is_dir():
        if not (p / "config.json").exists():
            raise InputError(
                f"{p}: not a model checkpoint (no config.json)",
                hint="pass a directory written by save_pretrained / `helix lm pretrain` / `helix lm finetune` "
                "(for a fine-tuned run, its model/ sub-directory also works)",
            )
        return p
    if _HUB_ID.match(s) and not s.startswith((".", "/")):
        raise DataUnavailableError(
            f"{s!r} looks like a Hugging Face Hub id, and HelixForge never downloads models",
            hint=f"on a machine with internet run `hf download {s} --local-dir {s.split('/')[-1]}` "
            "(or `huggingface-cli download …`), copy that folder here and pass its path; "
            "models with custom code (DNABERT-2, Nucleotide Transformer v2, HyenaDNA, Caduceus) also need "
            "--trust-remote-code",
        )
    raise InputError(
        f"{p}: model directory not found", hint="pass the path of a local checkpoint directory"
    )


def resolve_model_dir(path: str | os.PathLike) -> Path:
    """Accept a run directory (with model/) as well as the model directory itself; a finetune
    run of the supervised layer (model/manifest.json) means its first member's checkpoint."""
    from helixforge.core.artifacts import refuse_foreign
    from helixforge.lm.inputs import as_path

    p = as_path(path, "model path").expanduser()
    if p.exists():  # a chem / dna / crispr run has model/ and config.json too: name it
        refuse_foreign(
            p, "a language-model checkpoint", _CHECKPOINT_HINT, allow={"lm"}, domain="lm"
        )
    member = p / "model" / "member_0" / "model"
    if (p / "model" / "manifest.json").is_file() and (member / "config.json").exists():
        return member
    if p.is_dir() and not (p / "config.json").exists() and (p / "model" / "config.json").exists():
        return p / "model"
    return check_model_dir(p)


_WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin", "tf_model.h5", "flax_model.msgpack")


def check_weight_files(model_dir: str | os.PathLike) -> None:
    """A checkpoint without weight files, or with a safetensors file that is truncated or
    corrupt, is an `InputError` naming the file before any work: fine-tuning read the whole
    training table first and then stopped with a safetensors traceback; a folder without
    weights was called 'truncated or corrupt'. Only the safetensors header is read."""
    d = Path(model_dir)
    if not any(next(d.glob(g), None) for g in _WEIGHT_GLOBS):
        present = ", ".join(sorted(p.name for p in d.iterdir())[:12]) or "nothing"
        raise InputError(
            f"{d}: no weight file (model.safetensors or pytorch_model.bin) in the checkpoint "
            f"(present: {present})",
            hint="copy the weight files too (a Hugging Face download has them next to config.json)",
        )
    from safetensors import safe_open

    for f in sorted(d.glob("*.safetensors")):
        try:
            with safe_open(str(f), framework="pt") as fh:
                fh.keys()
        except Exception as exc:  # noqa: BLE001 - SafetensorError, OSError, …
            raise InputError(
                f"{f}: the weights could not be read ({type(exc).__name__}: {exc})",
                hint="the file is truncated or corrupt; re-copy the checkpoint",
            ) from None


def read_config_json(model_dir: str | os.PathLike) -> dict[str, Any]:
    """config.json of a checkpoint as a dict; a corrupt or truncated file is an InputError naming it."""
    f = Path(model_dir) / "config.json"
    try:
        raw = json.loads(f.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{f}: not found", hint="is this a model checkpoint directory?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{f}: corrupt or truncated JSON ({exc})",
            hint="re-copy the checkpoint; config.json must be the file save_pretrained wrote",
        ) from None
    if not isinstance(raw, dict):
        raise InputError(f"{f}: expected a JSON object", hint="re-copy the checkpoint")
    return raw


def needs_remote_code(model_dir: str | os.PathLike) -> bool:
    """True when the checkpoint's architecture exists only as Python code shipped in the folder
    (config.json has an `auto_map` and a `model_type` transformers does not know)."""
    from transformers import CONFIG_MAPPING

    cfg = read_config_json(model_dir)
    return bool(cfg.get("auto_map")) and cfg.get("model_type") not in CONFIG_MAPPING


def check_remote_code(model_dir: str | os.PathLike, trust_remote_code: bool) -> None:
    """Refuse a checkpoint that can only be loaded by running its own code, unless the caller
    (never a file in the folder) allowed it. Built-in architectures load without that code."""
    if not trust_remote_code and needs_remote_code(model_dir):
        raise ConfigError(
            f"{model_dir}: this checkpoint can only be loaded by running Python code shipped in "
            "the folder, and that is not allowed by default",
            hint="if you trust where the folder comes from, pass --trust-remote-code "
            "(trust_remote_code=True in Python); a setting inside the folder never enables it",
        )


def read_meta(model_dir: str | os.PathLike) -> dict[str, Any]:
    """HelixForge's notes about a checkpoint (arch, max_len, tokenizer…); {} for published ones."""
    f = Path(model_dir) / META_FILE
    if not f.exists():
        return {}
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{f}: corrupt or truncated JSON ({exc})") from None


MAX_PRETRAIN_LEN = 65_536  # tokens per pretraining window; attention is quadratic in it


def position_limit(config) -> int | None:
    """The longest input (tokens, special ones included) a checkpoint declares it reads: its
    position table (BERT, GPT-2) or its trained rotary range; None when the config says not."""
    for key in ("max_position_embeddings", "n_positions"):
        v = getattr(config, key, None)
        if isinstance(v, int) and v > 0:
            # RoBERTa-style position tables reserve padding_idx + 1 slots
            return v - (
                2 if getattr(config, "model_type", "") in {"roberta", "esm", "camembert"} else 0
            )
    return None


def check_max_len(max_len: int | None, model_dir: str | os.PathLike, config) -> None:
    """A `--max-len` longer than the checkpoint reads is a `ConfigError` before any work (it
    was a RuntimeError about tensor sizes from inside the model, or a silent overrun)."""
    limit = position_limit(config)
    if max_len is not None and limit is not None and int(max_len) > limit:
        raise ConfigError(
            f"--max-len {int(max_len):,} is longer than {model_dir} reads: it takes at most "
            f"{limit:,} tokens",
            hint=f"use --max-len {limit} or less, or leave it out (longer sequences are read in "
            "overlapping windows)",
        )


def default_max_len(model_dir: Path, config) -> int:
    """The window length to use with a checkpoint: what it was trained on, else its position limit."""
    meta = read_meta(model_dir)
    if meta.get("max_len"):
        return int(meta["max_len"])
    # a fine-tuned member's model/ (no helixforge_lm.json): the window it was fine-tuned with
    finetune_meta = model_dir.parent / "helixforge_finetune.json"
    if model_dir.name == "model" and finetune_meta.is_file():
        try:
            tuned = json.loads(finetune_meta.read_text(encoding="utf-8")).get("max_len")
        except (ValueError, UnicodeDecodeError, AttributeError):
            tuned = None
        if isinstance(tuned, int) and tuned > 0:
            return tuned
    for key in ("max_position_embeddings", "n_positions"):
        v = getattr(config, key, None)
        if isinstance(v, int) and v > 0:
            # RoBERTa-style position tables reserve padding_idx + 1 slots
            return min(v - (2 if config.model_type in {"roberta", "esm", "camembert"} else 0), 2048)
    return 512


def auto_config(model_dir: Path, trust_remote_code: bool = False):
    """transformers' config of a checkpoint; one it cannot read is an error naming the folder."""
    import transformers as tf

    kw: dict[str, Any] = {"local_files_only": True, "trust_remote_code": bool(trust_remote_code)}
    cfg = read_config_json(model_dir)
    model_type = cfg.get("model_type")
    if not cfg.get("auto_map") and model_type not in tf.CONFIG_MAPPING:
        archs = ", ".join(map(str, cfg.get("architectures") or [])) or "no architectures entry"
        raise ConfigError(
            f"{Path(model_dir) / 'config.json'}: model_type {model_type!r} ({archs}) is not an "
            f"architecture transformers {tf.__version__} knows, and the folder ships no code "
            "for it (no auto_map)",
            hint="use a checkpoint of an architecture transformers supports (BERT, ModernBERT, "
            "RoBERTa/ESM, Llama, GPT-2, …), or one whose folder ships its model code, with "
            "--trust-remote-code; HelixForge never downloads or installs model code",
        )
    try:
        return tf.AutoConfig.from_pretrained(str(model_dir), **kw)
    except ValueError as exc:
        if "trust_remote_code" in str(exc) and not trust_remote_code:
            raise ConfigError(
                f"{model_dir}: this checkpoint ships its own model code",
                hint="re-run with --trust-remote-code (only for checkpoints you trust: it executes their Python files)",
            ) from exc
        raise InputError(
            f"{model_dir}: config.json could not be read ({exc})", hint=_CHECKPOINT_HINT
        ) from exc


def load_pretrained(
    path: str | os.PathLike,
    task: str = "lm",
    *,
    trust_remote_code: bool = False,
    num_labels: int | None = None,
    device: str = "cpu",
):
    """Load a local checkpoint directory: returns (model, SequenceTokenizer).

    task: 'lm' (masked or causal LM head, whichever the checkpoint is), 'base' (no head, for
    embeddings), 'sequence-classification' or 'token-classification' (needs num_labels).
    A Hub id without a local copy raises `DataUnavailableError` saying how to fetch it.
    """
    import transformers as tf

    from helixforge.core.training import resolve_device
    from helixforge.lm.tokenizers import SequenceTokenizer

    quiet_transformers()
    device = str(resolve_device(device))
    model_dir = resolve_model_dir(path)
    read_config_json(model_dir)  # a damaged config.json is named before transformers reads it
    check_remote_code(model_dir, trust_remote_code)
    kw: dict[str, Any] = {"local_files_only": True, "trust_remote_code": bool(trust_remote_code)}
    config = auto_config(model_dir, trust_remote_code)
    check_weight_files(model_dir)
    if task == "lm":
        auto = tf.AutoModelForCausalLM if is_causal_config(config) else tf.AutoModelForMaskedLM
    elif task == "base":
        auto = tf.AutoModel
    elif task == "sequence-classification":
        auto = tf.AutoModelForSequenceClassification
    elif task == "token-classification":
        auto = tf.AutoModelForTokenClassification
    else:
        raise ConfigError(f"unknown task {task!r}")
    if num_labels is not None:
        kw["num_labels"] = num_labels
    try:
        model, loading = auto.from_pretrained(str(model_dir), output_loading_info=True, **kw)
    except ValueError as exc:
        raise ConfigError(
            f"{model_dir}: cannot load a {task} model from this checkpoint ({exc})",
            hint="check the checkpoint type; models with custom code need --trust-remote-code",
        ) from exc
    except Exception as exc:  # noqa: BLE001 - safetensors / torch errors on damaged weight files
        weights = sorted(p.name for p in model_dir.glob("*.safetensors")) or ["the weight files"]
        raise InputError(
            f"{model_dir}: {', '.join(weights)} could not be read ({type(exc).__name__}: {exc})",
            hint="the weights are truncated or corrupt; re-copy the checkpoint",
        ) from None
    if task == "lm":
        refuse_missing_head(model_dir, model, config, loading.get("missing_keys") or [])
    tok_dir = (
        model_dir
        if (model_dir / "tokenizer_config.json").exists() or (model_dir / "tokenizer.json").exists()
        else None
    )
    if tok_dir is None:
        raise InputError(
            f"{model_dir}: no tokenizer files next to the model",
            hint="copy tokenizer.json / vocab.txt into the directory",
        )
    tokenizer = SequenceTokenizer.load(tok_dir, trust_remote_code=trust_remote_code)
    if config.pad_token_id is None and tokenizer.hf.pad_token_id is not None:
        model.config.pad_token_id = tokenizer.hf.pad_token_id
    model.to(device)
    model.eval()
    return model, tokenizer


def refuse_missing_head(model_dir: Path, model, config, missing) -> None:
    """A checkpoint loaded as a language model whose LM-head weights are not in the files
    (a fine-tuned classifier, a base model saved without its head) got those weights newly
    initialized: likelihood scores from it are noise, and were written without a word."""
    tied = set(getattr(model, "_tied_weights_keys", None) or ())
    ignored = [re.compile(p) for p in getattr(model, "_keys_to_ignore_on_load_missing", None) or ()]
    absent = sorted(k for k in missing if k not in tied and not any(r.search(k) for r in ignored))
    if not absent:
        return
    saved_as = ", ".join(getattr(config, "architectures", None) or []) or "another head"
    base = None
    finetune_meta = model_dir.parent / "helixforge_finetune.json"
    if finetune_meta.is_file():
        try:
            base = json.loads(finetune_meta.read_text(encoding="utf-8")).get("base_model")
        except (ValueError, UnicodeDecodeError, AttributeError):
            base = None
    raise ConfigError(
        f"{model_dir}: has no language-model head (saved as {saved_as}; "
        f"{', '.join(absent[:4])}{', …' if len(absent) > 4 else ''} not in its weights), so "
        "its likelihood scores would come from randomly initialized weights",
        hint=(
            f"score with the checkpoint it was fine-tuned from ({base})"
            if base
            else "pass a checkpoint saved with its masked- or causal-LM head (`helix lm "
            "pretrain` output, or a …ForMaskedLM / …ForCausalLM save_pretrained folder)"
        ),
    )


def model_info(path: str | os.PathLike, trust_remote_code: bool = False) -> dict[str, Any]:
    """Architecture, parameter count, objective, vocabulary and window of a checkpoint."""
    import torch
    import transformers as tf

    quiet_transformers()
    model_dir = resolve_model_dir(path)
    read_config_json(model_dir)
    check_remote_code(model_dir, trust_remote_code)
    config = auto_config(model_dir, trust_remote_code)
    auto = tf.AutoModelForCausalLM if is_causal_config(config) else tf.AutoModelForMaskedLM
    try:
        with torch.device("meta"):
            model = auto.from_config(config, trust_remote_code=trust_remote_code)
    except ValueError:
        with torch.device("meta"):
            model = tf.AutoModel.from_config(config, trust_remote_code=trust_remote_code)
    meta = read_meta(model_dir)
    info: dict[str, Any] = {
        "path": str(model_dir),
        "model_type": config.model_type,
        "architectures": ", ".join(getattr(config, "architectures", None) or []),
        "objective": "causal-lm" if is_causal_config(config) else "masked-lm",
        "parameters": count_parameters(model),
        "hidden_size": getattr(config, "hidden_size", None),
        "layers": getattr(config, "num_hidden_layers", None),
        "vocab_size": getattr(config, "vocab_size", None),
        "window (tokens)": default_max_len(model_dir, config),
    }
    for k in ("tokenizer", "steps", "tokens_seen", "corpus_description"):
        if k in meta:
            info[k] = meta[k]
    return info
