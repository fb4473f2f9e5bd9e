"""Tiny models shared by tests of several groups (importable: pytest's pythonpath is tests/)."""

from __future__ import annotations


def tiny_decoder(path):
    """A 1-layer DNA causal LM (hidden 32) with our dna-char tokenizer, saved at `path`."""
    import torch

    from helixforge.lm.models import build_model
    from helixforge.lm.tokenizers import build_tokenizer

    tok = build_tokenizer("dna-char")
    torch.manual_seed(0)
    size = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64}
    build_model("decoder", size, len(tok), 64).save_pretrained(str(path))
    tok.save(path)
    return path
