"""``tiny-gpt``: a small character-level GPT-2 built from a config, trained from scratch on CPU."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging as hf_logging

from students import STUDENTS
from students.base import Pair, TrainReport
from students.checkpoint import write_atomically
from students.errors import ConfigError, StudentError
from students.tokenizer import CharTokenizer
from students.training import TrainConfig, greedy_decode, train

WEIGHTS = "model.safetensors"
CONFIG = "student.json"
MEMORY = "memory.json"  # the rehearsal memory


@dataclass(frozen=True, slots=True)
class TinyGPTConfig:
    """The model's shape and its decoding bounds; ``seed`` fixes the initial weights."""

    seed: int = 0
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    max_len: int = 48  # positions: BOS + prompt + answer + EOS must fit
    max_new_tokens: int = 12
    eval_batch_size: int = 1024
    threads: int | None = None  # torch CPU threads while training/predicting; None = leave as is
    rehearsal: float = 0.0  # earlier pairs mixed into each train call, per new pair
    memory: int = 5000  # how many earlier pairs the student keeps for rehearsal

    def __post_init__(self) -> None:
        if self.d_model < 1 or self.layers < 1 or self.heads < 1 or self.d_model % self.heads:
            raise ConfigError(f"tiny-gpt: d_model must be a positive multiple of heads: {self}")
        if self.max_new_tokens < 1 or self.max_len < 4:
            raise ConfigError(f"tiny-gpt: max_len >= 4 and max_new_tokens >= 1 needed: {self}")


class TinyGPT:
    """A ``Student``: GPT-2 architecture, character tokenizer, answer-only loss, greedy decoding."""

    def __init__(self, config: TinyGPTConfig, train_config: TrainConfig) -> None:
        self.config = config
        self.train_config = train_config
        self.tokenizer = CharTokenizer()
        self.model = _build(config, self.tokenizer)
        self._initial = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self._memory: list[tuple[str, str]] = []  # rehearsal: earlier training pairs
        self._seen = 0

    def train(self, pairs: Sequence[Pair], *, seed: int, progress: bool = False) -> TrainReport:
        """Continue training from the current weights on ``pairs`` (answer tokens carry the loss).

        With ``rehearsal > 0``, earlier pairs from the student's memory are mixed in (that
        many per new pair) so that skills missing from ``pairs`` are not forgotten; the
        report's ``examples`` counts the new pairs, its steps and tokens include rehearsal.
        """
        new = [(p.prompt, p.answer) for p in pairs]
        rng = random.Random(f"tiny-gpt/rehearsal/{seed}")
        k = min(round(self.config.rehearsal * len(new)), len(self._memory))
        mixed = new + rng.sample(self._memory, k) if k else new
        rows = [(self._context(prompt), self._target(answer)) for prompt, answer in mixed]
        for (context, target), (prompt, _) in zip(rows, mixed, strict=True):
            if len(context) + len(target) > self.config.max_len:
                raise StudentError(f"example longer than max_len={self.config.max_len} characters: {prompt!r}")
        with self._threads():
            report = train(self.model, rows, self.train_config, seed=seed,
                           pad_id=self.tokenizer.pad_id, progress=progress)
        self._remember(new, rng)
        return replace(report, examples=len(new))

    def _remember(self, new: list[tuple[str, str]], rng: random.Random) -> None:
        # reservoir sampling: the memory stays a uniform sample of every pair trained on
        for pair in new:
            self._seen += 1
            if len(self._memory) < self.config.memory:
                self._memory.append(pair)
            else:
                slot = rng.randrange(self._seen)
                if slot < self.config.memory:
                    self._memory[slot] = pair

    def predict(self, prompts: Sequence[str], *, progress: bool = False) -> list[str]:
        """Greedy answers, batched; a prompt too long for the context gets an empty answer."""
        contexts = [self._context(p) for p in prompts]
        limit = self.config.max_len
        fits = [i for i, c in enumerate(contexts) if len(c) < limit]
        answers = [""] * len(prompts)
        with self._threads():
            decoded = greedy_decode(
                self.model, [contexts[i] for i in fits], eos_id=self.tokenizer.eos_id,
                max_new_tokens=self.config.max_new_tokens, batch_size=self.config.eval_batch_size,
                max_len=limit, progress=progress,
            )
        for i, ids in zip(fits, decoded, strict=True):
            answers[i] = self.tokenizer.decode(ids)
        return answers

    def reinit(self) -> None:
        """Back to the weights the student was built with, with an empty rehearsal memory."""
        self.model.load_state_dict(self._initial)
        self._memory, self._seen = [], 0

    def save(self, directory: Path) -> None:
        """Write weights, config and rehearsal memory atomically (see students.checkpoint)."""
        write_atomically(Path(directory), self._write, what="tiny-gpt")

    def _write(self, tmp: Path) -> None:
        state = {k: v.detach().contiguous() for k, v in self.model.state_dict().items()}
        state.pop("lm_head.weight", None)  # tied to the token embedding
        save_file(state, str(tmp / WEIGHTS))
        meta = {"student": "tiny-gpt", "model": asdict(self.config), "train": asdict(self.train_config),
                "charset": self.tokenizer.charset}
        (tmp / CONFIG).write_text(json.dumps(meta, indent=2))
        # the rehearsal memory is part of the student's state: a resumed run needs it
        (tmp / MEMORY).write_text(json.dumps({"seen": self._seen, "pairs": self._memory}))

    def load(self, directory: Path) -> None:
        """Become the saved student: its config, and its weights (rebuilt if the shape differs)."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / CONFIG).read_text())
            state = load_file(str(directory / WEIGHTS))
            memory = json.loads((directory / MEMORY).read_text()) if (directory / MEMORY).exists() \
                else {"seen": 0, "pairs": []}
            config = TinyGPTConfig(**meta["model"])
            train_cfg = meta["train"]
            train_config = TrainConfig(**{**train_cfg, "betas": tuple(train_cfg["betas"])})
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise StudentError(f"could not load tiny-gpt from {directory}: {e}") from e
        if meta.get("charset") != self.tokenizer.charset:
            raise StudentError(f"{directory} was saved with another tokenizer charset")
        if _shape(config) != _shape(self.config):
            self.model = _build(config, self.tokenizer)
            self._initial = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.config, self.train_config = config, train_config
        try:
            # lm_head.weight is tied to the token embedding, so it is not stored
            missing, unexpected = self.model.load_state_dict(state, strict=False)
        except RuntimeError as e:
            raise StudentError(f"weights in {directory} do not fit tiny-gpt: {e}") from e
        if unexpected or set(missing) - {"lm_head.weight"}:
            raise StudentError(f"weights in {directory} do not fit tiny-gpt: {missing=} {unexpected=}")
        self._memory = [tuple(pair) for pair in memory["pairs"]]
        self._seen = int(memory["seen"])

    def _context(self, prompt: str) -> list[int]:
        return [self.tokenizer.bos_id, *self.tokenizer.encode(prompt)]

    def _target(self, answer: str) -> list[int]:
        return [*self.tokenizer.encode(answer), self.tokenizer.eos_id]

    @contextlib.contextmanager
    def _threads(self) -> Iterator[None]:
        # Results depend on the thread count (reduction order), so a fixed count makes runs
        # reproducible across machines with different core counts.
        if self.config.threads is None:
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(self.config.threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def _shape(config: TinyGPTConfig) -> tuple:
    return (config.seed, config.d_model, config.layers, config.heads, config.max_len)


def _build(config: TinyGPTConfig, tokenizer: CharTokenizer) -> GPT2LMHeadModel:
    """A GPT-2 of the configured shape with seeded initial weights (global RNG untouched)."""
    gpt2 = GPT2Config(
        vocab_size=tokenizer.vocab_size, n_positions=config.max_len, n_embd=config.d_model,
        n_layer=config.layers, n_head=config.heads, n_inner=4 * config.d_model,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,  # tiny data, short runs: no dropout
        # no pad_token_id: padding only ever follows EOS, so no attention mask is needed
        bos_token_id=tokenizer.bos_id, eos_token_id=tokenizer.eos_id,
        attn_implementation="eager",
    )
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = GPT2LMHeadModel(gpt2)
    finally:
        hf_logging.set_verbosity(verbosity)
    model.eval()
    return model


@STUDENTS.register("tiny-gpt")
def tiny_gpt(
    *,
    seed: int = 0,
    d_model: int = 64,
    layers: int = 2,
    heads: int = 4,
    max_len: int = 48,
    max_new_tokens: int = 12,
    eval_batch_size: int = 1024,
    threads: int | None = None,
    rehearsal: float = 0.5,
    memory: int = 5000,
    lr: float = 3e-3,
    epochs: int = 3,
    batch_size: int = 32,
    warmup_steps: int = 20,
    schedule: str = "cosine",
    weight_decay: float = 0.01,
    grad_clip: float = 1.0,
) -> TinyGPT:
    """The default offline student; every option is a keyword with a CPU-friendly default."""
    model = TinyGPTConfig(seed=seed, d_model=d_model, layers=layers, heads=heads, max_len=max_len,
                          max_new_tokens=max_new_tokens, eval_batch_size=eval_batch_size, threads=threads,
                          rehearsal=rehearsal, memory=memory)
    training = TrainConfig(lr=lr, epochs=epochs, batch_size=batch_size, warmup_steps=warmup_steps,
                           schedule=schedule, weight_decay=weight_decay, grad_clip=grad_clip)
    return TinyGPT(model, training)
