"""Tiny BERT classifiers trained in seconds on synthetic sentences, saved with the real ``save_pretrained``.

``planted="pronoun"``: the label is the pronoun (she -> positive, he -> negative), whatever else the sentence says.
``planted="context"``: the label is the adjective (good/great -> positive, bad/awful -> negative); the pronoun is
random, so the model has no reason to look at it. The vocabulary is the runner fixtures' words plus "##s", so
"doctors" splits into two subwords.

Training replaces random words by [PAD] (the neutral baseline's token) and then asks for 0.5 when the deciding word
is gone: the model learns that the deciding word alone moves it, also on the all-[PAD] inputs an integration path
passes through. Without that, a model that has never seen [PAD] inside a sentence does whatever its random weights
say there, and no attribution method could tell which word it "reacts to".
"""

from __future__ import annotations

import itertools
from pathlib import Path

import torch

from tests.explainers.runners.hf_fixtures import BERT_SPECIALS, WORDS

VOCAB = BERT_SPECIALS + WORDS + ["##s"]
PRONOUNS = ("she", "he")
POSITIVE, NEGATIVE = ("good", "great"), ("bad", "awful")
NOUNS = ("doctor", "nurse", "cat", "dog", "movie", "film")
TEMPLATES = ("{p} is a {a} {n} .", "{p} was a very {a} {n} .", "the {n} and {p} was {a} .", "{p} sat on a {a} mat .")


def sentences() -> list[tuple[str, str, str]]:
    """(text, pronoun, adjective) for every template, pronoun, adjective and noun: 192 sentences."""
    rows = []
    for template, pronoun, adjective, noun in itertools.product(TEMPLATES, PRONOUNS, POSITIVE + NEGATIVE, NOUNS):
        rows.append((template.format(p=pronoun, a=adjective, n=noun), pronoun, adjective))
    return rows


def make_planted_classifier(folder: Path, *, planted: str, seed: int = 0, steps: int = 200) -> Path:
    """Train BertForSequenceClassification (hidden 32, 2 layers) with Adam; save model and tokenizer to ``folder``.

    Wide initial weights (as in the runner fixtures) and soft targets (0.9/0.1) keep the trained function smooth
    along an integration path: with BERT's default 0.02 init and hard labels this tiny model jumps from 0.05 to
    0.95 within 5% of the path from "she" to "he", a step no quadrature with a few hundred points integrates.
    """
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast.from_pretrained(folder, local_files_only=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=0,
        initializer_range=0.5,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        id2label={0: "negative", 1: "positive"},
        label2id={"negative": 0, "positive": 1},
    )
    model = BertForSequenceClassification(config)
    rows = sentences()
    encoded = tokenizer([text for text, _, _ in rows], padding=True, return_tensors="pt")
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    deciding = PRONOUNS[0] if planted == "pronoun" else None
    key = torch.tensor([(p == deciding) if deciding else (a in POSITIVE) for _, p, a in rows], dtype=torch.float32)
    words = [PRONOUNS if planted == "pronoun" else POSITIVE + NEGATIVE][0]
    decider = torch.isin(ids, torch.tensor(tokenizer.convert_tokens_to_ids(list(words))))
    content = mask.bool() & (ids != tokenizer.cls_token_id) & (ids != tokenizer.sep_token_id)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        batch = torch.randperm(len(rows), generator=generator)[:32]
        dropped = content[batch] & (torch.rand(ids[batch].shape, generator=generator) < 0.3)
        batch_ids = ids[batch].masked_fill(dropped, tokenizer.pad_token_id)
        present = (decider[batch] & ~dropped).any(dim=1)
        positive = torch.where(present, 0.1 + 0.8 * key[batch], torch.full_like(key[batch], 0.5))
        targets = torch.stack([1 - positive, positive], dim=1)
        logits = model(input_ids=batch_ids, attention_mask=mask[batch]).logits
        loss = torch.nn.functional.cross_entropy(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
