"""Tiny random Hugging Face models written with the real ``save_pretrained``, so runner tests load real folders.

Each builder seeds torch, so two calls give byte-identical weights. Sizes are minimal (hidden 32, 2 layers):
a folder builds and loads in well under a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

WORDS = [
    "the", "a", "he", "she", "his", "her", "is", "was", "very", "good", "bad", "movie", "film", "doctor", "nurse",
    "cat", "dog", "sat", "on", "mat", "and", "not", "great", "awful", "yes", "no", "answer", ".", "!", "?", ",",
]  # fmt: skip
BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
LM_SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]
LM_WORDS = ["The", "Yes", "No", "Answer:"] + WORDS


def bert_tokenizer(folder: Path):
    """A WordPiece tokenizer built offline from a vocab.txt written here (lower-casing, [CLS] ... [SEP])."""
    from transformers import BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(BERT_SPECIALS + WORDS) + "\n", encoding="utf-8")
    return BertTokenizerFast.from_pretrained(folder, local_files_only=True)


def _bert_config(**extra):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(BERT_SPECIALS) + len(WORDS),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=0,
        initializer_range=0.5,  # wide random weights, so different inputs get clearly different outputs
        **extra,
    )


def make_text_classifier(folder: Path, *, seed: int = 0, id2label: dict | None = None) -> Path:
    """BertForSequenceClassification with labels negative/positive (or ``id2label``) and its tokenizer."""
    from transformers import BertForSequenceClassification

    id2label = id2label or {0: "negative", 1: "positive"}
    torch.manual_seed(seed)
    tokenizer = bert_tokenizer(folder)
    config = _bert_config(id2label=id2label, label2id={label: index for index, label in id2label.items()})
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def make_encoder(folder: Path, *, seed: int = 0, pooling: str = "mean", normalize: bool = True) -> Path:
    """BertModel in the sentence-transformers layout: modules.json, 1_Pooling/config.json, optional Normalize."""
    from transformers import BertModel

    torch.manual_seed(seed)
    tokenizer = bert_tokenizer(folder)
    model = BertModel(_bert_config()).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    (folder / "1_Pooling").mkdir(exist_ok=True)
    mode_keys = {"cls": "pooling_mode_cls_token", "mean": "pooling_mode_mean_tokens", "max": "pooling_mode_max_tokens"}
    config = {"word_embedding_dimension": 32, "pooling_mode_mean_sqrt_len_tokens": False}
    config.update({key: mode == pooling for mode, key in mode_keys.items()})
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def lm_tokenizer():
    """A word-level fast tokenizer that, like GPT-2's, does not add BOS itself (the runner must prepend it)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(LM_SPECIALS + LM_WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )


def make_causal_lm(folder: Path, *, seed: int = 0) -> Path:
    """LlamaForCausalLM (2 layers, hidden 32, grouped-query attention) with the word-level tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    tokenizer = lm_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        initializer_range=0.5,
    )
    model = LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class _OpensForWriting:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def marker_pickle(path: Path, protocol: int = 4) -> bytes:
    """A malicious-style pickle: unpickling it runs ``open(path, "w")``, creating ``path`` (the exploit's proof)."""
    import pickle

    return pickle.dumps(_OpensForWriting(path), protocol=protocol)
