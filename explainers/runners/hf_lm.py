"""Causal language models: sequence log-likelihoods and next-token choices (design.md §5, causal-LM probe).

Also converts a GGUF file (llama.cpp's format) into a safetensors folder, so a quantised model shipped for
llama.cpp can be audited through the same safe loading path as any uploaded folder.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from explainers.runners.hf_common import HFRunnerBase
from explainers.runners.hf_files import ModelFileError, file_sha256, inspect_hf_directory
from explainers.runners.quiet import quiet_transformers

GGUF_MARKER = "gguf_conversion.json"
SEPARATOR = "\x1f"  # joins a context and its continuation into one cache and dedup key (never in the texts)


class _Scored(list):
    """Token ids of context + continuation; ``n_target`` trailing ids are the continuation that is scored.

    ``sort_key`` orders the rows by context length, then context, so the options of one context share a batch."""

    n_target: int = 0
    sort_key: tuple = ()


class CausalLMRunner(HFRunnerBase):
    """Log-probabilities of whole texts and of candidate next tokens under a causal LM.

    Sequences start with the tokenizer's BOS token when it has one: tokenizers that do not add it themselves
    (GPT-2, SmolLM2) would otherwise leave the first real token unscored and the model without its usual start.
    Texts longer than ``max_length`` tokens are scored on their first ``max_length`` tokens (``token_counts`` says
    how many); prompts keep their last tokens instead, since the next token depends on the end. Missing texts
    (None, NaN) are the empty string.

    Args:
        path, device, batch_size, max_length, cache, model_key: see :class:`HFRunnerBase`.

    Raises:
        ModelFileError: if the folder is refused, has no language-model head, or cannot be loaded.
    """

    def __init__(
        self,
        path,
        *,
        device: str = "auto",
        batch_size: int = 16,
        max_length: int = 256,
        cache=None,
        model_key: str | None = None,
    ) -> None:
        from transformers import AutoModelForCausalLM  # transformers: loaded only when a model loads

        super().__init__(
            path,
            kind="causal_lm",
            auto_class=AutoModelForCausalLM,
            device=device,
            batch_size=batch_size,
            max_length=max_length,
            cache=cache,
            model_key=model_key,
        )
        bos = self.tokenizer.bos_token_id
        self.bos_id = int(bos) if bos is not None else None
        parameters = inspect.signature(self.model.forward).parameters
        self._keeps_logits = "logits_to_keep" in parameters
        # sharing a context's key/value cache needs explicit positions and a cache the model can extend
        self._shares_prefix = {"past_key_values", "position_ids"} <= set(parameters)

    def sequence_logprob(self, texts: Sequence[str]) -> np.ndarray:
        """float64 sum over tokens t >= 1 of log p(token_t | tokens_<t); 0.0 for texts with no scored token."""
        return self._scored(texts)[:, 0]

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Number of tokens each ``sequence_logprob`` sums over (int64), to compare texts per token."""
        return self._scored(texts)[:, 1].astype(np.int64)

    def next_token_logprobs(self, prompts: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """float64 (n, len(candidates)): log-softmax of the next-token logits after each prompt, at each candidate.

        A candidate is represented by its first token (encoded without special tokens, so " Yes" keeps its
        leading space); candidates sharing a first token get equal values.

        Raises:
            ValueError: if a candidate encodes to no token, or a prompt is empty and the tokenizer has no BOS.
        """
        if isinstance(candidates, str):
            raise TypeError("candidates must be a sequence of strings, not one string")
        candidate_ids = []
        for candidate in candidates:
            ids = self.tokenizer.encode(candidate, add_special_tokens=False)
            if not ids:
                raise ValueError(f"candidate {candidate!r} encodes to no token")
            candidate_ids.append(int(ids[0]))
        if not candidate_ids:
            raise ValueError("give at least one candidate")
        extra = ("next_token", self.max_length, *candidates)

        def forward(batch: list[list[int]]) -> np.ndarray:
            return self._forward_next(batch, candidate_ids)

        return self._outputs(
            prompts, extra=extra, width=len(candidate_ids), encode=self._encode_prompts, forward=forward
        )

    def continuation_logprob(self, contexts: Sequence[str], continuations: Sequence[str]) -> np.ndarray:
        """float64 (n, 2): the sum of log p(continuation token | context, earlier continuation tokens), and the
        number of continuation tokens (the multiple-choice log-likelihood of lm-eval-harness).

        Context and continuation are tokenised separately and joined (BOS + context ids + continuation ids, as
        lm-eval-harness does), so the continuation's tokens are the same whatever the context; trailing spaces of a
        context move to the front of its continuation. Over ``max_length`` tokens the context loses its first
        tokens. One forward pass per batch scores every pair; pairs repeat in a benchmark's options and are
        computed once (the runner's dedup and cache).

        Raises:
            ValueError: if the lengths differ, a continuation encodes to no token, or holds the separator.
        """
        if len(contexts) != len(continuations):
            raise ValueError("give one continuation per context")
        keys = []
        for context, continuation in zip(contexts, continuations, strict=True):
            context, continuation = str(context), str(continuation)
            if SEPARATOR in context or SEPARATOR in continuation:
                raise ValueError("contexts and continuations must not hold the unit separator \\x1f")
            stripped = context.rstrip(" ")
            context, continuation = stripped, context[len(stripped) :] + continuation
            keys.append(context + SEPARATOR + continuation)
        extra = ("continuation_logprob", self.max_length)
        return self._outputs(keys, extra=extra, width=2, encode=self._encode_pairs, forward=self._forward_continuation)

    def _scored(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 2) rows of (log-probability, scored tokens): one cache entry serves both public methods."""
        extra = ("sequence_logprob", self.max_length)
        return self._outputs(texts, extra=extra, width=2, encode=self._encode_sequences, forward=self._forward_sequence)

    def _with_bos(self, texts: list[str]) -> list[list[int]]:
        rows = self.tokenizer(texts, add_special_tokens=True)["input_ids"]
        if self.bos_id is None:
            return [list(row) for row in rows]
        return [list(row) if row and row[0] == self.bos_id else [self.bos_id, *row] for row in rows]

    def _encode_sequences(self, texts: list[str]) -> list[list[int]]:
        return [row[: self.max_length] for row in self._with_bos(texts)]

    def _encode_prompts(self, texts: list[str]) -> list[list[int]]:
        out = []
        for text, row in zip(texts, self._with_bos(texts), strict=True):
            if not row:
                raise ValueError(f"prompt {text!r} encodes to no token and the tokenizer has no BOS token")
            if len(row) > self.max_length:
                keep_bos = self.bos_id is not None and row[0] == self.bos_id
                head = row[:1] if keep_bos else []
                row = head + row[len(row) - (self.max_length - len(head)) :]
            out.append(row)
        return out

    def _encode_pairs(self, keys: list[str]) -> list[list[int]]:
        contexts, continuations = zip(*(key.split(SEPARATOR, 1) for key in keys), strict=True)
        targets = self.tokenizer(list(continuations), add_special_tokens=False)["input_ids"]
        out = []
        for head, target, continuation in zip(self._with_bos(list(contexts)), targets, continuations, strict=True):
            if not target:
                raise ValueError(f"continuation {continuation!r} encodes to no token")
            if not head:
                raise ValueError("an empty context needs a tokenizer with a BOS token")
            keep = max(self.max_length - len(target), 1)
            row = _Scored([*head[len(head) - keep :], *target][-self.max_length :])
            row.n_target = min(len(target), len(row) - 1)
            row.sort_key = (len(row) - row.n_target, row[: len(row) - row.n_target], row.n_target)
            out.append(row)
        return out

    def _forward_continuation(self, batch: list[list[int]]) -> np.ndarray:
        """Right padding; logits only at the positions that predict a continuation token (a few per row), through
        the model's own ``logits_to_keep`` when its forward takes one, so the LM head and the log-softmax over the
        vocabulary run on those positions alone."""
        heads = [tuple(row[: len(row) - row.n_target]) for row in batch]
        if self._shares_prefix and len(set(heads)) < len(heads):
            return self._forward_shared(batch, heads)
        input_ids, attention = self._pad(batch)
        lengths = torch.tensor([len(row) for row in batch])
        widths = torch.tensor([row.n_target for row in batch])
        offsets = torch.arange(int(widths.max()))
        # position p of a row predicts token p + 1; the continuation's tokens are the row's last n_target
        valid = offsets.unsqueeze(0) < widths.unsqueeze(1)
        positions = (lengths - widths).unsqueeze(1) - 1 + offsets.unsqueeze(0)
        positions = torch.where(valid, positions, lengths.unsqueeze(1) - 2).to(self.device)
        rows = torch.arange(len(batch), device=self.device).unsqueeze(1)
        options = {"input_ids": input_ids, "attention_mask": attention, "use_cache": False}
        if self._keeps_logits:
            logits = self.model(**options, logits_to_keep=positions).logits.float()
        else:
            logits = self.model(**options).logits[rows, positions].float()
        targets = input_ids[rows, positions + 1].unsqueeze(-1)
        token_logprob = logits.gather(-1, targets).squeeze(-1) - torch.logsumexp(logits, dim=-1)
        mask = valid.to(self.device, torch.float64)
        return torch.stack([(token_logprob.double() * mask).sum(dim=1), mask.sum(dim=1)], dim=1).cpu().numpy()

    def _forward_shared(self, batch: list[list[int]], heads: list[tuple]) -> np.ndarray:
        """Rows sharing a context (a question's answer options): one forward pass over each distinct context keeps
        its key/value cache, copied to each of its rows, then one pass over the continuations alone, at the
        positions they hold after their context. The context's last logits predict the first continuation token.
        Exact as the joined pass (up to float rounding): the same tokens at the same positions see the same keys.
        """
        distinct = list(dict.fromkeys(heads))
        where = torch.tensor([distinct.index(head) for head in heads], device=self.device)
        head_ids, head_mask = self._pad([list(head) for head in distinct])
        head_lengths = head_mask.sum(dim=1)
        options = {"input_ids": head_ids, "attention_mask": head_mask, "use_cache": True}
        if self._keeps_logits:
            out = self.model(**options, logits_to_keep=(head_lengths - 1).unsqueeze(1))
            first = out.logits[:, 0].float()
        else:
            out = self.model(**options)
            first = out.logits[torch.arange(len(distinct), device=self.device), head_lengths - 1].float()
        cache = out.past_key_values
        cache.reorder_cache(where)
        tails = [list(row[len(row) - row.n_target :]) for row in batch]
        tail_ids, tail_mask = self._pad(tails)
        width = tail_ids.shape[1]
        offsets = torch.arange(width, device=self.device)
        positions = head_lengths[where].unsqueeze(1) + offsets.unsqueeze(0)
        tail_logits = self.model(
            input_ids=tail_ids,
            attention_mask=torch.cat([head_mask[where], tail_mask], dim=1),
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
        ).logits.float()
        # token j of a continuation is predicted by the context's last position (j = 0) or by token j - 1
        logits = torch.cat([first[where].unsqueeze(1), tail_logits[:, : width - 1]], dim=1)
        token_logprob = logits.gather(-1, tail_ids.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, dim=-1)
        mask = tail_mask.to(torch.float64)
        return torch.stack([(token_logprob.double() * mask).sum(dim=1), mask.sum(dim=1)], dim=1).cpu().numpy()

    def _forward_sequence(self, batch: list[list[int]]) -> np.ndarray:
        """Right padding: with causal attention a real token never sees the pads after it, so scores match unpadded."""
        out = np.zeros((len(batch), 2))
        scorable = [index for index, row in enumerate(batch) if len(row) >= 2]
        if not scorable:
            return out  # a lone BOS (or nothing) has no token to score; an all-pad row must not reach the model
        input_ids, attention = self._pad([batch[index] for index in scorable])
        logits = self.model(input_ids=input_ids, attention_mask=attention, use_cache=False).logits[:, :-1].float()
        targets = input_ids[:, 1:].unsqueeze(-1)
        # one fused log-softmax pass over the vocabulary (a third faster on CPU than gather - logsumexp)
        token_logprob = torch.log_softmax(logits, dim=-1).gather(-1, targets).squeeze(-1)
        mask = attention[:, 1:].to(torch.float64)
        out[scorable, 0] = (token_logprob.double() * mask).sum(dim=1).cpu().numpy()
        out[scorable, 1] = mask.sum(dim=1).cpu().numpy()
        return out

    def _forward_next(self, batch: list[list[int]], candidate_ids: list[int]) -> np.ndarray:
        """Right padding and a gather at each row's last real token: position ids stay those of an unpadded run."""
        input_ids, attention = self._pad(batch)
        logits = self.model(input_ids=input_ids, attention_mask=attention, use_cache=False).logits
        last = attention.sum(dim=1) - 1
        final = logits[torch.arange(len(batch), device=logits.device), last].float()
        return torch.log_softmax(final, dim=-1)[:, candidate_ids].double().cpu().numpy()


def gguf_to_safetensors(gguf_path, cache_dir) -> Path:
    """Dequantise a GGUF causal LM to a float32 safetensors folder ``cache_dir/<sha256 of the file>/``.

    Idempotent and safe under concurrent calls: the folder is built in a temporary sibling, checked with
    :func:`inspect_hf_directory`, completed by a marker file written last, then moved into place with
    ``os.replace``; a complete folder is returned without converting again.

    ``AutoModelForCausalLM.from_pretrained(gguf_file=...)`` refuses to run without the ``accelerate`` package,
    which this project does not need otherwise, so the model is built from the GGUF config and filled by
    transformers' own GGUF reader (``load_gguf_checkpoint``): the same dequantisation and tensor renaming
    (checked bit-identical on SmolLM2, a llama). Reading a GGUF file runs no code from it: it is a typed header
    and raw tensor blocks.

    Raises:
        ModelFileError: if the file is missing or not GGUF, its architecture is not supported by transformers, a
            weight of the model is absent from the file, or the result fails the folder inspection.
    """
    source = Path(gguf_path)
    if not source.is_file():
        raise ModelFileError(f"GGUF file {source.name!r} does not exist")
    with source.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ModelFileError(f"{source.name} is not a GGUF file")
    digest = file_sha256(source)
    root = Path(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / digest
    if (target / GGUF_MARKER).is_file():
        return target
    scratch = Path(tempfile.mkdtemp(prefix=f".{digest[:16]}-", dir=root))
    try:
        _convert(source, scratch)
        marker = {"source": source.name, "source_sha256": digest, "dtype": "float32"}
        (scratch / GGUF_MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
        inspect_hf_directory(scratch, kind="causal_lm")
        if target.exists() and not (target / GGUF_MARKER).is_file():
            shutil.rmtree(target)  # an incomplete folder left by hand or by an older version
        try:
            os.replace(scratch, target)
        except OSError:
            if not (target / GGUF_MARKER).is_file():
                raise
            # Another process finished the same conversion first; its folder is as good as ours.
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _convert(source: Path, folder: Path) -> None:
    # transformers: loaded only when a .gguf package is converted
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    options = {"gguf_file": source.name, "local_files_only": True, "trust_remote_code": False}
    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(source.parent, **options)
            config = AutoConfig.from_pretrained(source.parent, **options)
            model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, trust_remote_code=False)
            parsed = load_gguf_checkpoint(
                str(source), return_tensors=True, model_to_load=model, torch_dtype=torch.float32
            )
    except (ValueError, KeyError, OSError, NotImplementedError) as error:
        raise ModelFileError(f"{source.name} could not be converted: {type(error).__name__}: {error}") from error
    missing, unexpected = model.load_state_dict(parsed["tensors"], strict=False)
    state = model.state_dict()
    loaded = {tensor.data_ptr() for name, tensor in state.items() if name in parsed["tensors"]}
    untied = [name for name in missing if state[name].data_ptr() not in loaded]
    if untied or unexpected:
        # A weight the file does not provide would stay randomly initialised and give a plausible-looking but
        # meaningless model; tied weights (lm_head sharing the embedding) are the only acceptable gaps.
        raise ModelFileError(f"{source.name}: weights missing from the file {untied[:5]}, unused {unexpected[:5]}")
    with quiet_transformers():
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
