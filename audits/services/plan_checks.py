"""User-stated checks of a plan: parsed (explainers.metrics.checks grammar) and checked against the plan's
attributes, groups, dataset and model when the plan is created, so a run never meets a check it cannot judge."""

from audits.choices import ModelKind
from audits.exceptions import ApplicationError
from audits.models import Dataset, ModelArtifact, ProtectedAttribute
from explainers.metrics.checks import MAX_CHECKS, CheckSyntaxError, ParsedCheck, parse_check


def _fail(index: int, text: str, problem: str) -> ApplicationError:
    return ApplicationError(f"Check {index + 1} ({text!r}): {problem}", field="checks", extra={"check": index})


def _attribute(attributes: list[ProtectedAttribute], name: str, index: int, text: str) -> ProtectedAttribute:
    found = next((a for a in attributes if name in (a.name, a.column)), None)
    if found is None:
        known = ", ".join(a.name for a in attributes) or "none"
        raise _fail(index, text, f"'{name}' is not an attribute of this plan (attributes: {known}).")
    return found


def _group(attribute: ProtectedAttribute, group: str, index: int, text: str) -> None:
    groups = [str(g) for g in attribute.groups or []]
    if groups and group not in groups:
        raise _fail(index, text, f"'{group}' is not a group of '{attribute.name}' ({', '.join(groups)}).")


def _rate(check: ParsedCheck, dataset: Dataset | None, attributes, index: int) -> ParsedCheck:
    if dataset is None:
        raise _fail(index, check.text, "rate checks need a dataset.")
    terms = [t for t in (check.left, check.right) if t is not None]
    attribute = _attribute(attributes, check.left.attribute, index, check.text)
    for term in terms:
        _group(attribute, term.group, index, check.text)
        if term.rate != "selection_rate" and not dataset.outcome_column:
            raise _fail(index, check.text, f"{term.rate} needs the dataset's outcome column.")
    parsed = check.to_dict()
    for side in ("left", "right"):
        if parsed[side] is not None:
            parsed[side]["attribute"] = attribute.name  # the name the engine's count tables are keyed by
    return ParsedCheck.from_dict(parsed)


def _swap(check: ParsedCheck, dataset: Dataset | None, model: ModelArtifact, attributes, index: int) -> ParsedCheck:
    if dataset is None or model.kind in (ModelKind.DATASET_DECISIONS, ModelKind.HF_CAUSAL_LM, ModelKind.HF_ENCODER):
        raise _fail(index, check.text, "swap checks score a dataset with the model; this plan's model cannot.")
    columns = {c["name"] for c in dataset.schema}
    if check.attribute:
        attribute = _attribute(attributes, check.attribute, index, check.text)
        for group in (check.source, check.target):
            _group(attribute, group, index, check.text)
        if model.kind != ModelKind.SKOPS_PIPELINE:
            raise _fail(index, check.text, "swapping a column's value needs a tabular model.")
        return ParsedCheck.from_dict({**check.to_dict(), "attribute": attribute.column})
    text_column = dataset.text_column or (model.config or {}).get("text_column", "")
    if not text_column or text_column not in columns:
        raise _fail(index, check.text, "swapping words needs the dataset's text column (text_column).")
    return check


def plan_checks_parse(
    *, checks: list[str] | None, dataset: Dataset | None, model: ModelArtifact, attributes: list[ProtectedAttribute]
) -> list[dict]:
    """The plan's checks as stored: [{"text", "parsed"}]. Raises ApplicationError (field "checks") naming the
    check and its problem: a syntax error, an unknown attribute or group, a rate that needs outcomes, a swap the
    plan's model or dataset cannot take."""
    checks = [str(c).strip() for c in (checks or []) if str(c).strip()]
    if len(checks) > MAX_CHECKS:
        raise ApplicationError(f"A plan holds at most {MAX_CHECKS} checks.", field="checks")
    stored = []
    for index, text in enumerate(checks):
        try:
            check = parse_check(text)
        except CheckSyntaxError as exc:
            raise _fail(index, text, str(exc)) from exc
        if check.kind == "rate":
            check = _rate(check, dataset, attributes, index)
        else:
            check = _swap(check, dataset, model, attributes, index)
        stored.append({"text": check.text, "parsed": check.to_dict()})
    return stored
