"""Loading a checkpoint for fine-tuning: a fresh head, optional LoRA adapters (peft), merging."""

from __future__ import annotations

import re
import warnings

from helixforge.core.errors import ConfigError


def linear_module_names(model, exclude_prefixes: list[str]) -> list[str]:
    """Names of every torch.nn.Linear outside the given module prefixes."""
    import torch

    return [
        name
        for name, mod in model.named_modules()
        if isinstance(mod, torch.nn.Linear)
        and not any(name == p or name.startswith(p + ".") for p in exclude_prefixes)
    ]


def apply_lora(model, missing_keys: list[str], r: int, alpha: int, dropout: float, task_type: str):
    """Wrap with LoRA adapters on every linear layer; newly initialised modules train in full."""
    from peft import LoraConfig, get_peft_model

    new_modules = sorted({k.rsplit(".", 1)[0] for k in missing_keys if "." in k})
    targets = linear_module_names(model, new_modules)
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
    with warnings.catch_warnings():  # peft calls a deprecated transformers property
        warnings.simplefilter("ignore", FutureWarning)
        return get_peft_model(model, cfg)


def merge_lora(peft_model):
    """Fold LoRA adapters into the weights: a plain transformers model again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return peft_model.merge_and_unload()


def load_for_training(model_path, task: str, num_labels: int, trust_remote_code: bool):
    """(model, tokenizer, missing_keys, model_dir) with a fresh head of `num_labels` outputs.
    task: 'sequence' or 'token'."""
    import transformers as tf

    from helixforge.lm.models import (
        auto_config,
        check_remote_code,
        check_weight_files,
        quiet_transformers,
        resolve_model_dir,
    )
    from helixforge.lm.tokenizers import SequenceTokenizer

    quiet_transformers()
    model_dir = resolve_model_dir(model_path)
    check_remote_code(model_dir, trust_remote_code)
    auto_config(model_dir, trust_remote_code)  # an architecture transformers lacks: said plainly
    check_weight_files(model_dir)
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
            trust_remote_code=bool(trust_remote_code),
            output_loading_info=True,
        )
    except ValueError as exc:
        raise ConfigError(
            f"{model_dir}: cannot put a {task}-classification head on this checkpoint ({exc})",
            hint="models with custom code need --trust-remote-code",
        ) from exc
    except (OSError, RuntimeError) as exc:
        from helixforge.core.errors import InputError

        raise InputError(
            f"{model_dir}: the weights could not be read ({type(exc).__name__}: {exc})",
            hint="the model files are truncated or corrupt; re-copy the checkpoint",
        ) from None
    tok = SequenceTokenizer.load(model_dir, trust_remote_code=trust_remote_code)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_id
    return model, tok, list(info.get("missing_keys", [])), model_dir
