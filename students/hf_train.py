"""The ``hf`` student's training loop and batched greedy generation.

``train_lm`` reads in execution order (batch, shard, forward, loss, backward, clip, step, log).
It runs unchanged in one process or under ``accelerate launch`` (data parallel): every
process holds all the examples and builds the same global batches; each takes its share of a
batch and the loss is normalised by the answer tokens of the whole global batch, so N
processes take the same optimizer steps as one (up to floating-point summation order).
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from students.base import TrainReport
from students.hf_config import HFConfig

IGNORE = -100
Row = tuple[list[int], list[int]]  # (context ids, target ids)


def train_lm(model, rows: Sequence[Row], cfg: HFConfig, *, seed: int, pad_id: int,
             accelerator, progress: bool = False) -> TrainReport:
    """Fine-tune ``model`` (its trainable parameters) on ``rows``; loss on target tokens only."""
    start = time.perf_counter()
    if not rows:
        return TrainReport(0, 0, 0, 0.0, None, None)
    torch.manual_seed(seed)  # dropout
    world, rank = accelerator.num_processes, accelerator.process_index
    per_epoch = math.ceil(len(rows) / cfg.batch_size)
    total = cfg.epochs * per_epoch
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _lr_factor(step, total, cfg))
    wrapped, optimizer = accelerator.prepare(model, optimizer)
    wrapped.train()
    order = list(range(len(rows)))
    shuffler = random.Random(seed)
    losses: list[float] = []
    tokens = 0
    bar = tqdm(total=total, desc="train", disable=not (progress and accelerator.is_main_process), leave=False)
    for step in range(total):
        # batch: the same global batch in every process, then this process's share of it
        if step % per_epoch == 0:
            shuffler.shuffle(order)
        first = (step % per_epoch) * cfg.batch_size
        batch = [rows[i] for i in order[first:first + cfg.batch_size]]
        batch_tokens = sum(len(target) for _, target in batch)
        share = batch[rank::world]
        # forward, loss and backward in micro-batches; gradients are synchronised on the last
        local = _accumulate(wrapped, share or batch[:1], scale=(world / batch_tokens) if share else 0.0,
                            cfg=cfg, pad_id=pad_id, accelerator=accelerator)
        accelerator.clip_grad_norm_(params, cfg.grad_clip)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        # log: the mean token loss of the global batch
        summed = accelerator.reduce(torch.tensor([local], device=accelerator.device), reduction="sum")
        losses.append(float(summed.item()) / batch_tokens)
        tokens += batch_tokens
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
    bar.close()
    accelerator.free_memory()  # drop the accelerator's references to this call's optimizer
    model.eval()
    window = max(1, min(per_epoch, 10))  # smooth the first and last loss over a few steps
    return TrainReport(len(rows), total, tokens, time.perf_counter() - start,
                       sum(losses[:window]) / window, sum(losses[-window:]) / window)


def _accumulate(wrapped, share: Sequence[Row], *, scale: float, cfg: HFConfig, pad_id: int,
                accelerator) -> float:
    """Backward over ``share`` in micro-batches; returns the summed (unscaled) token loss."""
    chunks = [share[i:i + cfg.micro_batch_size] for i in range(0, len(share), cfg.micro_batch_size)]
    total = 0.0
    for n, chunk in enumerate(chunks):
        inputs, mask, labels = _batch(chunk, pad_id, accelerator.device)
        logits = wrapped(input_ids=inputs, attention_mask=mask).logits.float()
        loss_sum = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE, reduction="sum")
        last = n == len(chunks) - 1
        with accelerator.no_sync(wrapped) if not last else contextlib.nullcontext():
            accelerator.backward(loss_sum * scale)
        total += float(loss_sum.detach()) if scale else 0.0
    return total


def _batch(rows: Sequence[Row], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded inputs, their attention mask, and next-token labels on target positions."""
    width = max(len(c) + len(t) for c, t in rows) - 1
    inputs = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for r, (context, target) in enumerate(rows):
        seq = context + target
        inputs[r, : len(seq) - 1] = torch.tensor(seq[:-1])
        mask[r, : len(seq) - 1] = 1
        # position p predicts token p + 1: only positions predicting a target token count
        labels[r, len(context) - 1 : len(seq) - 1] = torch.tensor(target)
    return inputs.to(device), mask.to(device), labels.to(device)


def _lr_factor(step: int, total: int, cfg: HFConfig) -> float:
    """Linear warm-up, then cosine decay to zero (the multiplier of ``cfg.lr``)."""
    warmup = math.ceil(cfg.warmup_ratio * total)
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    return 0.5 * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def generate(model, contexts: Sequence[list[int]], *, pad_id: int, stop_ids: Sequence[int],
             max_new_tokens: int, batch_size: int, device, progress: bool = False) -> list[list[int]]:
    """Greedy continuations, cut before the first stop token, batched by similar length with
    left padding."""
    from transformers import GenerationConfig

    model.eval()
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                              pad_token_id=pad_id, eos_token_id=list(stop_ids))
    order = sorted(range(len(contexts)), key=lambda i: len(contexts[i]))
    outputs: list[list[int]] = [[] for _ in contexts]
    chunks = [order[k:k + batch_size] for k in range(0, len(order), batch_size)]
    for idx in tqdm(chunks, desc="predict", disable=not progress, leave=False):
        width = max(len(contexts[i]) for i in idx)
        inputs = torch.full((len(idx), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):
            inputs[row, width - len(contexts[i]):] = torch.tensor(contexts[i])
            mask[row, width - len(contexts[i]):] = 1
        out = model.generate(input_ids=inputs.to(device), attention_mask=mask.to(device),
                             generation_config=config)
        for row, i in enumerate(idx):
            new = out[row, width:].tolist()
            ends = [k for k, token in enumerate(new) if token in stop_ids]
            outputs[i] = new[: ends[0]] if ends else new
    return outputs
