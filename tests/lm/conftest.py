"""Tiny checkpoints shared by the lm tests (hidden 32, 2 layers, built once per session)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

MICRO = {"hidden": 32, "layers": 2, "heads": 2, "ffn": 64}


def random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), n))


@pytest.fixture(scope="session")
def genome(tmp_path_factory) -> str:
    """A two-record gzipped FASTA with a run of N, like an assembly gap."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("genome") / "toy.fa.gz"
    chr1 = random_dna(rng, 3000) + "N" * 400 + random_dna(rng, 2000)
    chr2 = random_dna(rng, 1500).lower()  # soft-masked
    with gzip.open(path, "wt") as fh:
        fh.write(
            ">chr1 toy\n" + "\n".join(chr1[i : i + 60] for i in range(0, len(chr1), 60)) + "\n"
        )
        fh.write(">chr2\n" + chr2 + "\n")
    return str(path)


@pytest.fixture(scope="session")
def smiles_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("smiles") / "mols.csv.gz"
    base = [
        "CCO",
        "c1ccccc1O",
        "CC(=O)Nc1ccc(O)cc1",
        "CCN(CC)CC",
        "OC(=O)c1ccccc1",
        "C1CCNCC1",
        "Clc1ccccc1Br",
        "CC[C@H](N)C(=O)O",
    ]
    with gzip.open(path, "wt") as fh:
        fh.write("id,SMILES\n")
        for i in range(240):
            fh.write(f"m{i},{base[i % len(base)]}\n")
    return str(path)


@pytest.fixture(scope="session")
def published_bert(tmp_path_factory) -> str:
    """A checkpoint written by plain transformers (BertForMaskedLM.save_pretrained), standing in
    for a published model: no HelixForge files except the tokenizer."""
    import torch
    from tokenizers import normalizers
    from transformers import BertConfig, BertForMaskedLM

    from helixforge.lm.tokenizers import build_tokenizer

    torch.manual_seed(0)
    tok = build_tokenizer("dna-kmer:3:nonoverlap")
    # a published tokenizer has its own normalizer (ours maps IUPAC codes to N and U to T; a
    # copy of ours without helixforge_tokenizer.json is recognised as ours)
    tok.hf.backend_tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Replace(c, c.upper()) for c in "acgtn"]
    )
    cfg = BertConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=40,
    )
    path = tmp_path_factory.mktemp("pub") / "bert"
    BertForMaskedLM(cfg).save_pretrained(str(path))
    tok.hf.save_pretrained(str(path))
    return str(path)


@pytest.fixture(scope="session")
def pretrained_encoder(genome, tmp_path_factory) -> str:
    from helixforge.lm.pretrain import pretrain

    out = tmp_path_factory.mktemp("enc") / "lm"
    pretrain(
        genome,
        "dna-char",
        arch="encoder",
        size=MICRO,
        max_len=48,
        steps=6,
        batch_size=8,
        eval_every=3,
        save_every=100,
        out=out,
        threads=1,
        device="cpu",
    )
    return str(out)
