"""The training loop and greedy decoding of the tiny student, in plain PyTorch.

``train`` reads top to bottom in execution order (batch, forward, loss, backward, clip, step,
log), with its config beside it; ``greedy_decode`` is the batched evaluation counterpart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from students.base import TrainReport
from students.options import Checked, above, at_least, within
from students.progress import report

IGNORE = -100  # label of tokens that carry no loss (BOS, prompt, padding)
OPTIONS = "student.options"  # where a run config keeps these, for messages


@dataclass(frozen=True, slots=True)
class TrainConfig(Checked):
    """How one ``train`` call learns. Each call starts a fresh optimizer and schedule.

    These are the tiny student's training options (``TinyGPTOptions`` extends this class),
    so their defaults and ranges live here, once."""

    lr: float = field(default=3e-3, metadata=above(0))
    epochs: int = field(default=3, metadata=at_least(1))
    batch_size: int = field(default=32, metadata=at_least(1))
    warmup_steps: int = field(default=20, metadata=at_least(0))
    # after warm-up: "cosine" (down to min_lr_ratio * lr) or "constant"
    schedule: Literal["cosine", "constant"] = "cosine"
    min_lr_ratio: float = field(default=0.1, metadata=within(0, 1))
    weight_decay: float = field(default=0.01, metadata=at_least(0))
    betas: tuple[float, float] = (0.9, 0.98)
    grad_clip: float = field(default=1.0, metadata=above(0))

    WHERE = OPTIONS


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warm-up to ``cfg.lr``, then constant or cosine decay to ``min_lr_ratio * lr``."""
    warmup = min(cfg.warmup_steps, max(total // 4, 1))  # short calls still get to full lr
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    if cfg.schedule == "constant" or total <= warmup:
        return cfg.lr
    progress = (step - warmup) / max(total - warmup, 1)
    floor = cfg.min_lr_ratio * cfg.lr
    return floor + 0.5 * (cfg.lr - floor) * (1 + math.cos(math.pi * progress))


def train(
    model: torch.nn.Module,
    examples: Sequence[tuple[list[int], list[int]]],
    cfg: TrainConfig,
    *,
    seed: int,
    pad_id: int,
    progress: bool = False,
) -> TrainReport:
    """Train ``model`` on (context ids, target ids) pairs; the loss covers target tokens only.

    Context ids are BOS + prompt, target ids are answer + EOS. The order of batches comes from
    a ``torch.Generator`` seeded with ``seed``, so the same seed and data give the same weights.
    """
    start = time.perf_counter()
    if not examples:
        return TrainReport(0, 0, 0, 0.0, None, None)
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = math.ceil(len(examples) / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    decay, no_decay = _param_groups(model)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=cfg.betas,
    )
    model.train()
    losses: list[float] = []
    tokens = 0
    bar = tqdm(total=total_steps, desc="train", disable=not progress, leave=False)
    for step in range(total_steps):
        # batch: a fresh permutation each epoch, sliced into batches
        if step % steps_per_epoch == 0:
            order = torch.randperm(len(examples), generator=generator).tolist()
        first = (step % steps_per_epoch) * cfg.batch_size
        inputs, labels = _batch([examples[i] for i in order[first:first + cfg.batch_size]], pad_id)
        tokens += int((inputs != pad_id).sum())
        # forward and loss on the answer tokens (labels are the inputs shifted by one)
        logits = model(input_ids=inputs).logits
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
        # backward, clip, step at the scheduled learning rate
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, total_steps, cfg)
        optimizer.step()
        # log
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        report("steps", step + 1, total_steps, losses[-1])
    bar.close()
    model.eval()
    window = max(1, min(steps_per_epoch, 10))  # smooth the first and last loss over a few steps
    return TrainReport(
        examples=len(examples),
        steps=total_steps,
        tokens=tokens,
        seconds=time.perf_counter() - start,
        loss_first=sum(losses[:window]) / window,
        loss_last=sum(losses[-window:]) / window,
    )


def _batch(rows: Sequence[tuple[list[int], list[int]]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded input ids and next-token labels; padding sits after EOS, so no mask is needed."""
    width = max(len(c) + len(t) for c, t in rows) - 1
    inputs = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for r, (context, target) in enumerate(rows):
        seq = context + target
        inputs[r, : len(seq) - 1] = torch.tensor(seq[:-1])
        # position p predicts token p + 1; only positions that predict a target token count
        labels[r, len(context) - 1 : len(seq) - 1] = torch.tensor(target)
    return inputs, labels


def _param_groups(model: torch.nn.Module) -> tuple[list, list]:
    """Weight decay on matrices only, as in nanoGPT (not on biases, norms or embeddings)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.dim() >= 2 and "wte" not in name and "wpe" not in name else no_decay).append(p)
    return decay, no_decay


@torch.no_grad()
def greedy_decode(
    model: torch.nn.Module,
    contexts: Sequence[list[int]],
    *,
    eos_id: int,
    max_new_tokens: int,
    max_len: int,
    batch_size: int = 512,
    progress: bool = False,
) -> list[list[int]]:
    """Greedy continuations of each context (BOS + prompt ids), up to EOS or the token bound.

    A continuation also stops when context plus continuation reach ``max_len`` positions.

    Contexts are grouped by length so each batch is dense: no padding, no attention mask.
    """
    model.eval()
    outputs: list[list[int]] = [[] for _ in contexts]
    by_length: dict[int, list[int]] = {}
    for i, ctx in enumerate(contexts):
        by_length.setdefault(len(ctx), []).append(i)
    chunks = [
        idx[k : k + batch_size] for _, idx in sorted(by_length.items()) for k in range(0, len(idx), batch_size)
    ]
    answered = 0
    for idx in tqdm(chunks, desc="predict", disable=not progress, leave=False):
        answered += len(idx)
        bound = min(max_new_tokens, max_len - len(contexts[idx[0]]))
        if bound < 1:
            continue
        generated = _decode_dense(model, torch.tensor([contexts[i] for i in idx]), eos_id, bound)
        for row, i in enumerate(idx):
            outputs[i] = generated[row]
        report("items", answered, len(contexts))
    return outputs


def _decode_dense(model: torch.nn.Module, ids: torch.Tensor, eos_id: int, max_new_tokens: int) -> list[list[int]]:
    """Greedy decoding of a batch of equal-length contexts with the key/value cache."""
    done = torch.zeros(len(ids), dtype=torch.bool)
    steps: list[torch.Tensor] = []
    out = model(input_ids=ids, use_cache=True)
    for _ in range(max_new_tokens):
        token = out.logits[:, -1].argmax(dim=-1)
        token = torch.where(done, torch.full_like(token, eos_id), token)
        steps.append(token)
        done |= token == eos_id
        if bool(done.all()) or len(steps) == max_new_tokens:
            break
        # transformers 5 renamed the cache argument and output (``past_key_values`` -> ``cache``)
        kept = {"cache": out["cache"]} if "cache" in out else {"past_key_values": out.past_key_values}
        out = model(input_ids=token[:, None], use_cache=True, **kept)
    rows = torch.stack(steps, dim=1).tolist()
    return [row[: row.index(eos_id)] if eos_id in row else row for row in rows]
