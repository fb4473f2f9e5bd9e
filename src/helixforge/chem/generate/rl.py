"""Reinforcement learning on the prior: REINVENT's augmented likelihood, experience replay and
a diversity filter on Bemis–Murcko scaffolds.

    rl = ReinforcementOptimizer(prior, options, seed=0)
    rl.step(k, ledger)        # sample a batch, score it, one Adam step on the agent

Each step the agent (a clone of the prior) samples `batch_size` SMILES; the ledger scores
them (cache + budget). A valid molecule scoring at least `min_score` is counted in its
scaffold's bucket; once a bucket holds `bucket_size` molecules, later members of that
scaffold score 0 for the update (REINVENT's IdenticalMurckoScaffold filter). The loss is

    (log P_prior(x) + sigma · score(x) − log P_agent(x))²

averaged over the batch plus `replay` molecules drawn from a memory of the `memory_size`
best molecules so far (experience replay); Adam with `learning_rate` updates the agent.
Defaults follow REINVENT 4's staged-learning defaults: sigma 128, learning rate 1e-4, bucket
size 25, min score 0.4.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from helixforge.chem.generate.history import (
    ScoringLedger,
    restore_rng,
    restore_torch_rng,
    rng_state,
    torch_rng_state,
)

AGENT_FILE = "agent.safetensors"
MEMORY_FILE = "memory.json"


def scaffold_of(smiles: str) -> str:
    """Bemis–Murcko scaffold SMILES ('' for an acyclic molecule)."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(mol))


class ReinforcementOptimizer:
    """REINVENT-style policy optimisation of a clone of `prior`; `step` runs one batch."""

    name = "rl"

    def __init__(self, prior, options: dict[str, Any], *, seed: int):
        import torch

        self.prior = prior
        self.options = options
        self.agent = prior.clone()
        self.agent.model.train()
        for p in self.agent.model.parameters():  # the prior is only read under no_grad
            p.requires_grad_(True)
        self.optimizer = torch.optim.Adam(
            self.agent.model.parameters(), lr=options["learning_rate"]
        )
        self.generator = torch.Generator(device=self.agent.device)
        self.generator.manual_seed(int(seed))
        self.rng = np.random.default_rng(seed)
        self.memory: list[dict] = []  # {"smiles": raw spelling, "canonical", "score"}
        self.buckets: dict[str, int] = {}
        self.sampling_seconds = 0.0
        self.learning_seconds = 0.0
        self.last_loss = float("nan")

    def _diversity(self, canon: list, scores: np.ndarray) -> np.ndarray:
        o = self.options
        out = scores.copy()
        if o["diversity_filter"] == "none":
            return out
        for i, (c, s) in enumerate(zip(canon, scores, strict=True)):
            if c is None or not np.isfinite(s) or s < o["min_score"]:
                continue
            scaf = scaffold_of(c)
            if self.buckets.get(scaf, 0) >= o["bucket_size"]:
                out[i] = 0.0
            else:
                self.buckets[scaf] = self.buckets.get(scaf, 0) + 1
        return out

    def _remember(self, raw: list[str], canon: list, scores: np.ndarray) -> None:
        known = {m["canonical"] for m in self.memory}
        for s, c, v in zip(raw, canon, scores, strict=True):
            if c is not None and np.isfinite(v) and v > 0 and c not in known:
                self.memory.append({"smiles": s, "canonical": c, "score": float(v)})
                known.add(c)
        self.memory.sort(key=lambda m: -m["score"])  # stable: earlier first among ties
        del self.memory[self.options["memory_size"] :]

    def step(self, step: int, ledger: ScoringLedger) -> None:
        """Sample, score, filter, and one Adam step on the augmented-likelihood loss."""
        import torch

        o = self.options
        t0 = time.perf_counter()
        ended: list[bool] = []
        raw, agent_ll = self.agent.sample(
            o["batch_size"],
            generator=self.generator,
            temperature=o["temperature"],
            max_len=o["max_len"],
            grad=True,
            ended=ended,
        )
        # a sequence cut at max_len is no molecule, even when its prefix parses: scoring it
        # would reward the agent for running out of tokens
        raw = [s if done else "" for s, done in zip(raw, ended)]
        self.sampling_seconds += time.perf_counter() - t0
        canon, scores = ledger.evaluate(raw, step)
        t1 = time.perf_counter()
        keep = [i for i, s in enumerate(scores) if np.isfinite(s) and self.prior.can_encode(raw[i])]
        if not keep:
            return
        adjusted = self._diversity([canon[i] for i in keep], scores[keep])
        seqs = [raw[i] for i in keep]
        agent_part = agent_ll[keep]
        with torch.no_grad():
            prior_part = self.prior.log_likelihood(seqs)
        target = prior_part + o["sigma"] * torch.as_tensor(adjusted, dtype=prior_part.dtype)
        if o["replay"] and self.memory:
            k = min(o["replay"], len(self.memory))
            picks = self.rng.choice(len(self.memory), size=k, replace=False)
            mem = [self.memory[int(j)] for j in sorted(picks)]
            mem_smiles = [m["smiles"] for m in mem]
            agent_part = torch.cat([agent_part, self.agent.log_likelihood(mem_smiles)])
            with torch.no_grad():
                mem_prior = self.prior.log_likelihood(mem_smiles)
            mem_scores = torch.as_tensor([m["score"] for m in mem], dtype=mem_prior.dtype)
            target = torch.cat([target, mem_prior + o["sigma"] * mem_scores])
        loss = torch.mean((target - agent_part) ** 2)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.last_loss = float(loss.detach())
        self._remember(seqs, [canon[i] for i in keep], adjusted)
        self.learning_seconds += time.perf_counter() - t1

    # ---------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        return {"rng": rng_state(self.rng), "torch_rng": torch_rng_state(self.generator)}

    def write_files(self, d: Path) -> None:
        from safetensors.torch import save_model

        save_model(self.agent.model, str(d / AGENT_FILE))
        (d / MEMORY_FILE).write_text(
            json.dumps({"memory": self.memory, "buckets": self.buckets}), encoding="utf-8"
        )

    def read_files(self, d: Path) -> None:
        from safetensors.torch import load_model

        load_model(self.agent.model, str(d / AGENT_FILE), device=str(self.agent.device))
        data = json.loads((d / MEMORY_FILE).read_text(encoding="utf-8"))
        self.memory, self.buckets = data["memory"], data["buckets"]

    def restore(self, state: dict[str, Any]) -> None:
        self.rng = restore_rng(state["rng"])
        restore_torch_rng(self.generator, state["torch_rng"])
