"""Small CSV fixtures built in memory."""

import io

import numpy as np
import pandas as pd
from django.core.files.uploadedfile import SimpleUploadedFile


def credit_frame(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Two sexes, three age bands; men approved more often than women (planted disparity)."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n, p=[0.4, 0.6])
    age = rng.choice(["<25", "25-60", ">60"], size=n)
    outcome = rng.random(n) < 0.6
    approve_p = np.where(sex == "male", 0.7, 0.45)
    decision = np.where(rng.random(n) < approve_p, "approve", "deny")
    return pd.DataFrame({"sex": sex, "age_band": age, "decision": decision, "repaid": outcome.astype(int)})


def csv_upload(frame: pd.DataFrame, name: str = "credit.csv", *, sep: str = ",", encoding: str = "utf-8"):
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, sep=sep)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def upload_form(file, **overrides) -> dict:
    form = {
        "workspace": "credit-risk",
        "file": file,
        "decision_column": "decision",
        "favourable_decision": ["approve"],
        "outcome_column": "repaid",
        "favourable_outcome": ["1"],
        "protected": ["sex", "age_band"],
    }
    form.update(overrides)
    return form


COMPAS_DECISION = ["--decision", "score_text", "--favourable-decision", "Low"]
COMPAS_OUTCOME = ["--outcome", "two_year_recid", "--favourable-outcome", "0"]


def audit_compas(path, *options: str, out=None, outcome: bool = True) -> dict | None:
    """Run the `audit` command on the COMPAS file (decision: score_text = Low; outcome: two_year_recid = 0)."""
    import json

    from django.core.management import call_command

    args = ["audit", "--dataset", str(path), *COMPAS_DECISION, *(COMPAS_OUTCOME if outcome else []), *options]
    call_command(*args, *(["--out", str(out)] if out else []))
    return json.loads(open(out).read()) if out else None
