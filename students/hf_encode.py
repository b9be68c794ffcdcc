"""Turning prompts and answers into token ids for a Hugging Face causal LM.

With a chat template the prompt is a user turn and the answer the assistant's reply, ended
the way the template ends a turn; without one the answer follows the prompt and ends with
EOS. Training and generation use the same context ids, so what is learned is what is asked.
"""

from __future__ import annotations

from students.errors import ConfigError, StudentError


class Encoder:
    """Context ids (what the model sees) and target ids (what it must say, carrying the loss)."""

    def __init__(self, tokenizer, *, chat_template: str, max_length: int) -> None:
        self.tokenizer = tokenizer
        has_template = bool(getattr(tokenizer, "chat_template", None))
        if chat_template == "on" and not has_template:
            raise ConfigError("hf student: chat_template=on, but the tokenizer has no chat template")
        self.chat = chat_template == "on" or (chat_template == "auto" and has_template)
        if tokenizer.eos_token_id is None:
            raise StudentError("hf student: the tokenizer has no end-of-sequence token")
        self.eos_id: int = tokenizer.eos_token_id
        pad = tokenizer.pad_token_id
        self.pad_id: int = pad if pad is not None else self.eos_id
        self.max_length = max_length

    def context(self, prompt: str, *, room: int = 0) -> list[int]:
        """The ids the model is given for ``prompt``, leaving ``room`` tokens for the reply."""
        if self.chat:
            ids = self._ids(self._render(prompt), special=False)
        else:
            ids = self._ids(prompt, special=True)  # adds BOS where the model uses one
        keep = self.max_length - room
        return ids[-keep:] if len(ids) > keep else ids

    def pair(self, prompt: str, answer: str) -> tuple[list[int], list[int]]:
        """(context, target) for training; the target is cut if it alone exceeds ``max_length``."""
        target = self._target(prompt, answer)[: self.max_length - 1]
        return self.context(prompt, room=len(target)), target

    def _target(self, prompt: str, answer: str) -> list[int]:
        if self.chat:
            asked = self._render(prompt)
            full = self._render(prompt, answer)
            if full.startswith(asked):  # the template's own end of turn follows the answer
                tail = self._ids(full[len(asked):], special=False)
                if self.eos_id in tail:
                    return tail
        return [*self._ids(answer, special=False), self.eos_id]

    def _render(self, prompt: str, answer: str | None = None) -> str:
        messages = [{"role": "user", "content": prompt}]
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=answer is None
        )

    def _ids(self, text: str, *, special: bool) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()
