"""Train the ``hf`` student once and write what it learned as JSON (main process only).

Run as ``python tests/students/accelerate_train.py MODEL OUT`` (one process) or under
``accelerate launch --multi_gpu --num_processes 2 ...`` (data parallel, on CPU here): the
test compares the two. The examples are CHAMP-style question/answer pairs written here.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import torch

from students import make_student


@dataclass(frozen=True, slots=True)
class Pair:
    prompt: str
    answer: str


PAIRS = [
    Pair(f"Solve this competition math problem. Reply with only the final answer.\n\nProblem: What is {a} times {b}?",
         str(a * b))
    for a, b in [(3, 4), (6, 7), (12, 5), (9, 9), (8, 15), (11, 3), (2, 50), (7, 13), (4, 25)]
]


def main(model: str, out: str, *extra: str) -> None:
    options = dict(option.split("=", 1) for option in extra)
    student = make_student("hf", model=model, device="cpu", lr="3e-3", epochs="2", batch_size="4",
                           micro_batch_size="1", max_length="160", max_new_tokens="8", **options)
    # each process answers a share of the prompts; the answers are gathered in order
    answers = student.predict([p.prompt for p in PAIRS[:5]])
    report = student.train(PAIRS, seed=7)
    trained = [p for p in student.model.parameters() if p.requires_grad]
    if student.accelerator.is_main_process:
        result = {
            "processes": student.accelerator.num_processes,
            "steps": report.steps,
            "answers": answers,
            "loss_first": report.loss_first,
            "loss_last": report.loss_last,
            "weights": [float(torch.sum(p.detach().double())) for p in trained],
        }
        with open(out, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
