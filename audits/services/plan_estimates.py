"""Checks of a plan's estimated attributes: attributes never recorded, estimated from proxies (BISG / BIFSG)."""

from audits.exceptions import ApplicationError
from audits.models import Dataset
from explainers.estimated.bisg import RACE_LABELS

ESTIMATES = ("race",)
DEFAULT_NAMES = {"race": "race (estimated)"}
FIELD = "estimated_attributes"


def check_estimated_attributes(dataset: Dataset, items: list[dict] | None, recorded: list[str]) -> list[dict]:
    """The plan's estimated attributes, normalised: every key present, columns checked against the dataset.

    Raises ApplicationError (field estimated_attributes) for an unknown estimate, a column the dataset lacks,
    a first-name column without a ZIP column (BIFSG needs both), a reference group the estimate does not have,
    or a name already used by another attribute.
    """
    columns = {column["name"] for column in dataset.schema}
    names = set(recorded)
    checked = []
    for item in items or []:
        if not isinstance(item, dict):
            raise ApplicationError("Each estimated attribute is an object.", field=FIELD)
        estimate = str(item.get("estimate", "race"))
        if estimate not in ESTIMATES:
            raise ApplicationError(f"Unknown estimate '{estimate}'; known: {', '.join(ESTIMATES)}.", field=FIELD)
        entry = {
            "name": str(item.get("name") or DEFAULT_NAMES[estimate]).strip()[:255],
            "estimate": estimate,
            "surname_column": str(item.get("surname_column") or ""),
            "zip_column": str(item.get("zip_column") or ""),
            "first_name_column": str(item.get("first_name_column") or ""),
            "reference_group": str(item.get("reference_group") or ""),
        }
        if not entry["surname_column"]:
            raise ApplicationError("An estimated race needs a surname column.", field=FIELD)
        for key in ("surname_column", "zip_column", "first_name_column"):
            if entry[key] and entry[key] not in columns:
                raise ApplicationError(f"The dataset has no column '{entry[key]}' ({key}).", field=FIELD)
        if entry["first_name_column"] and not entry["zip_column"]:
            raise ApplicationError("BIFSG (a first-name column) needs a ZIP column as well.", field=FIELD)
        if entry["reference_group"] and entry["reference_group"] not in RACE_LABELS:
            raise ApplicationError(
                f"Reference group '{entry['reference_group']}' is not a group of the estimate "
                f"({', '.join(RACE_LABELS)}).",
                field=FIELD,
            )
        if entry["name"] in names:
            raise ApplicationError(f"Attribute name '{entry['name']}' is used twice in this plan.", field=FIELD)
        names.add(entry["name"])
        checked.append(entry)
    return checked
