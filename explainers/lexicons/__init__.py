"""Versioned term lexicons of the text probes, and whole-word case-preserving substitution (design.md §5).

A lexicon file is JSON: ``name``, ``version``, ``licence``, ``source``, ``groups`` (at least two), ``pairs``
(each lists one term per group, in the order of ``groups``: cross-group counterparts) and optionally
``control`` (per group, two-term substitutions within that group) and ``notes``. Built-in lexicons are the
``<name>.v<version>.json`` files of this package; users pass the path of their own.

Typical use::

    lexicon = load_lexicon("gender")
    counterfactuals("She paid her rent.", lexicon, "female", "male")   # "He paid his rent."
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Lexicon", "available_lexicons", "counterfactuals", "lexicon_from_dict", "load_lexicon", "substitute"]

_FOLDER = Path(__file__).resolve().parent
_BUILT_IN = re.compile(r"^(?P<name>[a-z0-9_-]+)\.v(?P<version>\d+)\.json$")
_REQUIRED = ("name", "version", "licence", "source", "groups", "pairs")


@dataclass(frozen=True)
class Lexicon:
    """Terms of each group and their counterparts; every term is stored lower-case.

    A term may stand in several pairs (her/his and her/him); a mapping keeps the first pair that names it,
    so the order of ``pairs`` settles ambiguous words.
    """

    name: str
    version: str
    licence: str
    source: str
    groups: tuple[str, ...]
    pairs: tuple[tuple[str, ...], ...]
    control: dict[str, tuple[tuple[str, str], ...]]

    def terms(self, group: str) -> tuple[str, ...]:
        """Distinct terms of ``group`` in the cross-group pairs, in file order."""
        column = self._index(group)
        return tuple(dict.fromkeys(pair[column] for pair in self.pairs))

    def mapping(self, source_group: str, target_group: str) -> dict[str, str]:
        """Term of ``source_group`` -> its counterpart in ``target_group`` (first pair wins)."""
        source, target = self._index(source_group), self._index(target_group)
        if source == target:
            raise ValueError("source and target group must differ; use control_mapping within a group")
        mapping: dict[str, str] = {}
        for pair in self.pairs:
            mapping.setdefault(pair[source], pair[target])
        return mapping

    def control_mapping(self, group: str) -> dict[str, str]:
        """Within-group substitutions of ``group``, both ways (first pair wins); empty when none are listed."""
        self._index(group)
        mapping: dict[str, str] = {}
        for first, second in self.control.get(group, ()):
            mapping.setdefault(first, second)
            mapping.setdefault(second, first)
        return mapping

    def _index(self, group: str) -> int:
        if group not in self.groups:
            raise ValueError(f"group {group!r} is not in lexicon {self.name!r} (groups {list(self.groups)})")
        return self.groups.index(group)


def available_lexicons() -> list[str]:
    """Names of the built-in lexicons, sorted (each loads its highest version by name alone)."""
    return sorted({match["name"] for match in map(_BUILT_IN.match, (p.name for p in _FOLDER.iterdir())) if match})


def load_lexicon(name_or_path: str | Path) -> Lexicon:
    """A built-in lexicon by name (``"gender"``, or ``"gender.v1"`` for one version), or a user file by path.

    Raises:
        ValueError: for an unknown name, a file that is not JSON, or a structure that breaks the format (the
            message names the field at fault).
    """
    path = _resolve(name_or_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"lexicon {str(path)!r} could not be read as JSON: {error}") from error
    return _parse(data, origin=str(path))


def lexicon_from_dict(data, *, origin: str = "lexicon") -> Lexicon:
    """A lexicon from its decoded JSON (e.g. one a user stored for a workspace); ValueError names what is wrong."""
    return _parse(data, origin=origin)


def substitute(text: str, mapping: dict[str, str]) -> tuple[str, int]:
    """Replace whole words of ``text`` found in ``mapping`` (matched case-insensitively), in one pass.

    One pass makes swaps simultaneous (aunt <-> mother never turns back). Case follows the word replaced:
    UPPER stays upper (``HER`` -> ``HIS``), a capital first letter stays capital (``She`` -> ``He``), anything
    else takes the mapping's lower-case term. Word boundaries are regex ``\\b``, so ``sheet`` is not ``she``.

    Returns:
        The new text and the number of words replaced.
    """
    lookup = {key.lower(): value for key, value in mapping.items()}
    if not lookup or not isinstance(text, str):
        return text, 0
    pattern = _pattern(tuple(sorted(lookup)))

    def replace(match: re.Match) -> str:
        return _match_case(match.group(0), lookup[match.group(0).lower()])

    return pattern.subn(replace, text)


def counterfactuals(text: str, lexicon: Lexicon, source_group: str, target_group: str) -> str | None:
    """``text`` with every term of ``source_group`` replaced by its ``target_group`` counterpart.

    None when no term of ``source_group`` occurs (the text has nothing to move), or ``text`` is not a string.
    """
    new, count = substitute(text, lexicon.mapping(source_group, target_group))
    return new if count else None


@functools.lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern:
    # Longest first, so "herself" is tried before "her" at the same position.
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def _match_case(word: str, replacement: str) -> str:
    if len(word) > 1 and word.isupper():
        return replacement.upper()
    if word[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".json") or "/" in text or "\\" in text:
        path = Path(name_or_path)
        if not path.is_file():
            raise ValueError(f"lexicon file {text!r} does not exist")
        return path
    built_in = sorted(
        (int(match["version"]), path)
        for path in _FOLDER.iterdir()
        if (match := _BUILT_IN.match(path.name)) and text in (match["name"], f"{match['name']}.v{match['version']}")
    )
    if not built_in:
        raise ValueError(f"no built-in lexicon {text!r}; available: {available_lexicons()}")
    return built_in[-1][1]


def _parse(data, *, origin: str) -> Lexicon:
    """Check the structure of a decoded lexicon file and build the Lexicon; ValueError names the problem."""

    def fail(problem: str) -> ValueError:
        return ValueError(f"lexicon {origin!r}: {problem}")

    if not isinstance(data, dict):
        raise fail("the top level must be a JSON object")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise fail(f"missing required field(s) {missing}")
    for key in ("name", "version", "licence", "source"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise fail(f"{key!r} must be a non-empty string")
    groups = data["groups"]
    if not _strings(groups) or len(groups) < 2 or len(set(groups)) != len(groups):
        raise fail("'groups' must list at least two distinct non-empty strings")
    pairs = data["pairs"]
    if not isinstance(pairs, list) or not pairs:
        raise fail("'pairs' must be a non-empty list")
    owner: dict[str, str] = {}
    for index, pair in enumerate(pairs):
        if not _strings(pair) or len(pair) != len(groups):
            raise fail(f"pairs[{index}] must list {len(groups)} non-empty strings, one per group, got {pair!r}")
        for group, term in zip(groups, pair, strict=True):
            if owner.setdefault(term.lower(), group) != group:
                raise fail(f"term {term.lower()!r} belongs to both {owner[term.lower()]!r} and {group!r}")
    control = data.get("control", {})
    if not isinstance(control, dict):
        raise fail("'control' must be an object of group -> list of [term, term]")
    for group, substitutions in control.items():
        if group not in groups:
            raise fail(f"control names unknown group {group!r}")
        if not isinstance(substitutions, list):
            raise fail(f"control[{group!r}] must be a list of [term, term]")
        for index, pair in enumerate(substitutions):
            if not _strings(pair) or len(pair) != 2:
                raise fail(f"control[{group!r}][{index}] must be two non-empty strings, got {pair!r}")
            for term in pair:
                if owner.get(term.lower(), group) != group:
                    raise fail(f"control term {term.lower()!r} of {group!r} is a term of {owner[term.lower()]!r}")
    return Lexicon(
        name=data["name"],
        version=data["version"],
        licence=data["licence"],
        source=data["source"],
        groups=tuple(groups),
        pairs=tuple(tuple(term.lower() for term in pair) for pair in pairs),
        control={group: tuple((a.lower(), b.lower()) for a, b in subs) for group, subs in control.items()},
    )


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)
