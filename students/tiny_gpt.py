"""``tiny-gpt``: a small character-level GPT-2 built from a config, trained from scratch on CPU."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging as hf_logging

from students import STUDENTS
from students.base import Pair, TrainReport
from students.checkpoint import write_atomically
from students.errors import CurriculabError, StudentError
from students.options import at_least, build, check, fail
from students.tokenizer import CHARSET, CharTokenizer
from students.training import OPTIONS, TrainConfig, greedy_decode, train

WEIGHTS = "model.safetensors"
CONFIG = "student.json"
MEMORY = "memory.json"  # the rehearsal memory
_CHARS = frozenset(CHARSET)


@dataclass(frozen=True, slots=True)
class TinyGPTOptions(TrainConfig):
    """Every option of ``tiny-gpt``: the model's shape, decoding bounds and rehearsal here,
    how it trains inherited from ``TrainConfig``. ``seed`` fixes the initial weights. The
    defaults are the CPU-friendly ones every run uses."""

    seed: int = 0
    d_model: int = field(default=64, metadata=at_least(1))
    layers: int = field(default=2, metadata=at_least(1))
    heads: int = field(default=4, metadata=at_least(1))
    max_len: int = field(default=48, metadata=at_least(4))  # BOS + prompt + answer + EOS must fit
    max_new_tokens: int = field(default=12, metadata=at_least(1))
    eval_batch_size: int = field(default=1024, metadata=at_least(1))
    # torch CPU threads while training and predicting. 1 gives each student process one
    # thread: runs sharing a machine never oversubscribe it (every core per run collapses
    # under load), and results do not depend on the machine's core count. 0 = torch's
    # default, every core (see bench/threads.py).
    threads: int = field(default=1, metadata=at_least(0))
    rehearsal: float = field(default=0.5, metadata=at_least(0))  # earlier pairs per new pair
    memory: int = field(default=5000, metadata=at_least(0))  # earlier pairs kept for rehearsal

    def __post_init__(self) -> None:
        check(self, OPTIONS)
        if self.d_model % self.heads:
            raise fail(OPTIONS, "d_model", self.d_model, f"a multiple of heads ({self.heads})")


class TinyGPT:
    """A ``Student``: GPT-2 architecture, character tokenizer, answer-only loss, greedy decoding."""

    def __init__(self, options: TinyGPTOptions) -> None:
        self.config = options
        self.tokenizer = CharTokenizer()
        self.model = _build(options, self.tokenizer)
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
            report = train(self.model, rows, self.config, seed=seed,
                           pad_id=self.tokenizer.pad_id, progress=progress)
        self._remember(new, rng)
        return replace(report, examples=len(new))

    def check_fits(self, pairs: Sequence[Pair], *, source: str) -> None:
        """Refuse items this student could never answer right: a context (BOS + prompt +
        answer + EOS) longer than ``max_len``, an answer longer than ``max_new_tokens``, or a
        character outside the tokenizer's charset. The message names the options that fit."""
        limits = self.config
        context = max((len(p.prompt) + len(p.answer) + 2 for p in pairs), default=0)
        answer = max((len(p.answer) for p in pairs), default=0)
        over = sum(len(p.prompt) + len(p.answer) + 2 > limits.max_len
                   or len(p.answer) > limits.max_new_tokens for p in pairs)
        if over:
            raise StudentError(
                f"tiny-gpt cannot hold {source}: {over} of {len(pairs)} items exceed its "
                f"max_len={limits.max_len} characters of context (longest item {context}: BOS + "
                f"prompt + answer + EOS) or max_new_tokens={limits.max_new_tokens} answer characters "
                f"(longest answer {answer}); set the student options "
                f"max_len={max(context, limits.max_len)} and "
                f"max_new_tokens={max(answer, limits.max_new_tokens)}, or use a larger student")
        outside = next((p for p in pairs if not set(p.prompt + p.answer) <= _CHARS), None)
        if outside is not None:
            char = next(c for c in outside.prompt + outside.answer if c not in _CHARS)
            raise StudentError(f"tiny-gpt cannot read {source}: character {char!r} (in "
                               f"{outside.prompt[:40]!r}) is not in its charset (printable ASCII)")

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
        meta = {"student": "tiny-gpt", "options": asdict(self.config),
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
            config = _saved_options(meta, threads=self.config.threads)
        except (OSError, ValueError, KeyError, TypeError, CurriculabError) as e:
            raise StudentError(f"could not load tiny-gpt from {directory}: {e}") from e
        if meta.get("charset") != self.tokenizer.charset:
            raise StudentError(f"{directory} was saved with another tokenizer charset")
        if _shape(config) != _shape(self.config):
            self.model = _build(config, self.tokenizer)
            self._initial = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.config = config
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
        if self.config.threads == 0:
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(self.config.threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def _saved_options(meta: dict[str, Any], *, threads: int) -> TinyGPTOptions:
    """The options a checkpoint was saved with; one written before the options were a single
    class keeps them as ``model`` and ``train``. The thread count is this process's own."""
    saved = meta["options"] if "options" in meta else {**meta["model"], **meta["train"]}
    return build(TinyGPTOptions, {**saved, "threads": threads}, "student.json")


def _shape(config: TinyGPTOptions) -> tuple:
    return (config.seed, config.d_model, config.layers, config.heads, config.max_len)


def _build(config: TinyGPTOptions, tokenizer: CharTokenizer) -> GPT2LMHeadModel:
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
def tiny_gpt(**options: Any) -> TinyGPT:
    """The default offline student; its options are ``TinyGPTOptions``'s fields, e.g.
    ``make_student("tiny-gpt", seed=0, d_model=32)``."""
    return TinyGPT(build(TinyGPTOptions, options, OPTIONS))
