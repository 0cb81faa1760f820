"""Attention paid to protected words, per layer and head, for a few chosen texts (issue 16 §2).

For each text holding a protected word (a term of the lexicon), the model runs once with eager attention and
``output_attentions``; for every layer and head, the attention mass that goes to the protected words' tokens is
summed per query token and averaged over the text's tokens, then over the texts: a (layers x heads) matrix of
shares in [0, 1], shown beside the share a uniform attention would give (protected tokens / tokens).

Attention is not an explanation by itself (Jain and Wallace 2019; Wiegreffe and Pinter 2019): a head can look at
a word the decision does not depend on. So the same words' integrated-gradients attributions are compared: per
text, Spearman's rank correlation between the attention each word receives (mean over layers, heads and queries)
and its |IG| attribution, averaged over the texts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import numpy as np
import torch
from scipy import stats

from explainers.attributions.single import WordAttribution
from explainers.attributions.words import split_words, token_words

CAVEAT = (
    "Attention is not an explanation by itself: a head can attend to a word the decision does not depend on, and "
    "a decision can depend on a word no head attends to. Read the heatmap with the attributions beside it."
)
_CONTENT = re.compile(r"\w")


def protected_positions(text: str, terms: set[str]) -> list[int]:
    """Word positions of ``text`` (split_words) whose lower-case form is a protected term."""
    return [i for i, word in enumerate(split_words(text).words) if word.lower() in terms]


def attention_summary(
    runner, texts: Sequence[str], terms: set[str], *, ig: Sequence[WordAttribution] | None = None
) -> dict:
    """JSON-ready summary: the (layers x heads) shares, the uniform share, and the comparison with IG."""
    began = time.perf_counter()
    texts = [t for t in texts if protected_positions(t, terms)]
    model = runner.model
    previous = getattr(model.config, "_attn_implementation", None)
    matrices, uniform, correlations, attention_shares, ig_shares = [], [], [], [], []
    try:
        if previous != "eager":
            model.set_attn_implementation("eager")
        for index, text in enumerate(texts):
            words = split_words(text)
            encoded = runner.tokenizer(
                text, truncation=True, max_length=runner.max_length, return_offsets_mapping=True,
                return_special_tokens_mask=True,
            )  # fmt: skip
            owners = token_words(words, encoded["offset_mapping"], encoded["special_tokens_mask"])
            protected = set(protected_positions(text, terms))
            is_protected = torch.tensor([o in protected for o in owners.tolist()])
            ids = torch.tensor([encoded["input_ids"]], device=runner.device)
            with torch.inference_mode():
                output = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_attentions=True)
            stack = torch.stack([a[0].float().cpu() for a in output.attentions])  # (layers, heads, query, key)
            matrices.append(stack[..., is_protected].sum(dim=-1).mean(dim=-1).numpy())
            uniform.append(float(is_protected.float().mean()))
            received = stack.mean(dim=(0, 1, 2)).numpy()  # attention each key token receives
            per_word = np.zeros(len(words))
            np.add.at(per_word, owners[owners >= 0], received[owners >= 0])
            if ig is not None and index < len(ig) and ig[index].text == text:
                content = [i for i, w in enumerate(words.words) if _CONTENT.search(w)]
                weights = np.abs(np.asarray(ig[index].weights))
                a, b = per_word[content], weights[content]
                if len(content) >= 3 and np.ptp(a) > 0 and np.ptp(b) > 0:
                    correlations.append(float(stats.spearmanr(a, b).statistic))
                if weights.sum() > 0 and per_word.sum() > 0:
                    chosen = sorted(protected)
                    attention_shares.append(float(per_word[chosen].sum() / per_word.sum()))
                    ig_shares.append(float(weights[chosen].sum() / weights.sum()))
    finally:
        if previous and previous != "eager":
            model.set_attn_implementation(previous)
    shares = np.mean(matrices, axis=0) if matrices else np.zeros((0, 0))
    return {
        "n_examples": len(texts),
        "layers": int(shares.shape[0]) if matrices else 0,
        "heads": int(shares.shape[1]) if matrices else 0,
        "shares": [[round(float(v), 4) for v in row] for row in shares],
        "uniform_share": float(np.mean(uniform)) if uniform else None,
        "max_share": float(shares.max()) if matrices else None,
        "ig_comparison": {
            "n": len(correlations),
            "mean_spearman": float(np.mean(correlations)) if correlations else None,
            "protected_attention_share": float(np.mean(attention_shares)) if attention_shares else None,
            "protected_ig_share": float(np.mean(ig_shares)) if ig_shares else None,
        },
        "caveat": CAVEAT,
        "seconds": round(time.perf_counter() - began, 4),
    }
