"""`python manage.py audit`: upload a dataset, run a group-fairness audit, print and save the report.

Without --dataset it probes a language model or encoder on the built-in benchmarks (CrowS-Pairs, BBQ,
WEAT, discrim-eval): ``manage.py audit --model builtin:smollm2-135m-instruct --probe crows_pairs``.

As a CI gate: ``--fail-on fail|inconclusive`` exits with status 3 when a verdict at or beyond that level exists
(status 1 when the audit itself could not run); ``--format json|junit`` prints only that document on standard
output (progress goes to standard error), ``--format text`` (default) the summary.
"""

import contextlib
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audits.choices import MissingPolicy, OutcomeType, Role, RunStatus
from audits.constants import DEMO_WORKSPACE
from audits.exceptions import ApplicationError
from audits.exports.ci_gate import FAIL_ON, gate_cases, gate_failures, gate_json, gate_junit, gate_text
from audits.models import AuditReport, AuditRun, ModelArtifact, Workspace
from audits.reports.summary import report_summary
from audits.services.audit_runs import audit_run_create
from audits.services.datasets import dataset_create
from audits.services.models import ModelBuiltin, ModelFile, model_register
from audits.services.plans import audit_plan_create
from audits.services.workspaces import membership_set, user_get_or_create, workspace_create, workspace_role
from explainers.audit_settings import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_N_BOOT,
    DEFAULT_REGRESSION_TOLERANCE,
    DEFAULT_SEED,
    DEFAULT_VERDICT_ERROR_CONTROL,
    VERDICT_ERROR_CONTROLS,
)
from explainers.metrics.ranking import DEFAULT_TOP_K

CLI_WORKSPACE = CLI_USER = "cli"
GATE_FAILED = 3  # exit status when --fail-on finds a verdict at or beyond its level


class Command(BaseCommand):
    help = "Audit a file that holds a model's decisions (and outcomes) across protected attributes."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", default="", help="CSV or Parquet file (leave out for LM/encoder probes)")
        parser.add_argument("--decision", default="", help="column with the model's decisions")
        parser.add_argument(
            "--model",
            default="",
            help="a registered model id, builtin:NAME, a skops file, a transformers folder or a ZIP of one",
        )
        parser.add_argument("--favourable-class", default="", help="the model's favourable class (with --model)")
        parser.add_argument(
            "--probe",
            action="append",
            default=[],
            help="tabular_counterfactual, text_counterfactual, crows_pairs, bbq, weat or discrim_eval (repeatable)",
        )
        parser.add_argument("--max-pairs", type=int, default=None, help="CrowS-Pairs: seeded sample of pairs")
        parser.add_argument(
            "--max-items", type=int, default=None, help="BBQ: seeded sample of items, stratified by category"
        )
        parser.add_argument(
            "--attributions", action="store_true", help="explain the probes' findings (IG, occlusion or SHAP)"
        )
        parser.add_argument("--attribution-budget", type=int, default=None, help="pairs explained per probe")
        parser.add_argument(
            "--black-box-attributions",
            choices=["occlusion", "shap"],
            default=None,
            help="score-only models: word occlusion (default) or SHAP's text explainer (about 10x the texts)",
        )
        parser.add_argument("--max-templates", type=int, default=None, help="discrim-eval: seeded sample")
        parser.add_argument(
            "--global-explanations",
            action="store_true",
            help="activation clusters and attention (transformers), SHAP per group and partial dependence (tabular)",
        )
        parser.add_argument("--global-layer", type=int, default=None, help="hidden layer clustered (default the last)")
        parser.add_argument(
            "--explanation-quality",
            action="store_true",
            help="stability and consistency of the attributions (rewrites that keep the meaning; two methods)",
        )
        parser.add_argument("--text-column", default="", help="column of texts the model reads (text probes)")
        parser.add_argument("--lexicon", action="append", default=[], help="lexicon of the text probe (default gender)")
        parser.add_argument(
            "--check",
            action="append",
            default=[],
            help='a user-stated check (repeatable), e.g. "selection_rate(sex=female) >= selection_rate(sex=male)"',
        )
        parser.add_argument("--outcome", default="", help="column with the true outcomes (optional)")
        parser.add_argument("--favourable", action="append", default=[], help="favourable value of both columns")
        parser.add_argument("--favourable-decision", action="append", default=[])
        parser.add_argument("--favourable-outcome", action="append", default=[])
        parser.add_argument("--protected", action="append", default=[], help="protected column (repeatable)")
        parser.add_argument("--reference", action="append", default=[], help="declared reference: COLUMN=GROUP")
        parser.add_argument(
            "--intersect", action="append", default=[], help="audit an intersection too, e.g. race,sex (repeatable)"
        )
        parser.add_argument("--multiclass", action="store_true", help="also audit every decision class one-vs-rest")
        parser.add_argument(
            "--estimate",
            choices=["race"],
            default="",
            help="estimate an attribute that was never recorded from proxies (BISG, or BIFSG with a first name)",
        )
        parser.add_argument("--surname-column", default="", help="surnames (with --estimate)")
        parser.add_argument("--zip-column", default="", help="ZIP codes (with --estimate: BISG)")
        parser.add_argument("--first-name-column", default="", help="first names (with --estimate and --zip-column)")
        parser.add_argument(
            "--estimate-reference", default="", help="reference group of the estimate, e.g. White (with --estimate)"
        )
        parser.add_argument("--score-column", default="", help="model score of the favourable decision")
        parser.add_argument(
            "--score-lower-is-favourable", action="store_true", help="the score is a risk: lower is favourable"
        )
        parser.add_argument(
            "--outcome-type",
            choices=OutcomeType.values,
            default=None,
            help="continuous: audit --score-column as a continuous score (mean gaps, LL144 scoring rates, KS and "
            "Wasserstein distances) and --outcome, if given, as a numeric outcome (group MAE/RMSE); no --decision "
            "needed",
        )
        parser.add_argument("--rank-column", default="", help="ranking audit: column of positions, 1 = top")
        parser.add_argument("--rank-query-column", default="", help="ranking audit: query or list id column")
        parser.add_argument("--top-k", type=int, default=DEFAULT_TOP_K, help="k of the top-k share (default 10)")
        parser.add_argument("--out", help="write the report JSON here")
        parser.add_argument(
            "--workspace",
            default=None,
            help=f"workspace slug (created if missing); default '{DEMO_WORKSPACE}' when `seed_demo` has made it, so "
            f"the demo users see the audit in the web app, else '{CLI_WORKSPACE}'",
        )
        parser.add_argument(
            "--user", default=CLI_USER, help="username acting (created if missing; 'cli' joins as an auditor)"
        )
        parser.add_argument("--name", default="")
        parser.add_argument("--n-boot", type=int, default=DEFAULT_N_BOOT)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA)
        parser.add_argument("--min-group-size", type=int, default=DEFAULT_MIN_GROUP_SIZE)
        parser.add_argument("--min-denominator", type=int, default=DEFAULT_MIN_DENOMINATOR)
        parser.add_argument(
            "--regression-tolerance",
            type=float,
            default=DEFAULT_REGRESSION_TOLERANCE,
            help="a metric move since the plan's last approved report larger than this is a regression",
        )
        parser.add_argument(
            "--verdict-error-control",
            choices=VERDICT_ERROR_CONTROLS,
            default=DEFAULT_VERDICT_ERROR_CONTROL,
            help="the error rate verdicts hold at over the audit: per_comparison, familywise (every pass and fail "
            "jointly at 1 - alpha; the default) or fdr (Benjamini-Yekutieli)",
        )
        parser.add_argument("--missing-policy", choices=MissingPolicy.values, default=MissingPolicy.DROP_ROWS)
        parser.add_argument("--encoding", default=None)
        parser.add_argument("--delimiter", default=None)
        parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for a worker")
        parser.add_argument(
            "--fail-on",
            choices=sorted(FAIL_ON),
            default=None,
            help=f"CI gate: exit with status {GATE_FAILED} when a verdict is fail (or fail or inconclusive)",
        )
        parser.add_argument(
            "--format",
            choices=["text", "json", "junit"],
            default="text",
            help="standard output: the text summary, the gate as JSON, or JUnit XML (then progress goes to stderr)",
        )

    def log(self, message: str) -> None:
        """Progress and where the audit went: standard output for text, standard error when stdout carries a
        document (json, junit), so a CI step can redirect it as it is."""
        (self.stdout if self.output_format == "text" else self.stderr).write(message)

    def handle(self, *args, **options):
        self.output_format = options["format"]
        if self.output_format == "text":
            return self._audit(options)
        # Anything a library prints while the audit runs goes to stderr too: stdout carries only the document
        # (self.stdout keeps the real standard output).
        with contextlib.redirect_stdout(sys.stderr):
            return self._audit(options)

    def _audit(self, options):
        if not options["dataset"]:
            return self._model_only(options)
        path = Path(options["dataset"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        estimated = _estimated(options)
        if not options["protected"] and not estimated:
            raise CommandError("Name at least one --protected column, or --estimate race --surname-column COLUMN.")
        references = {}
        for item in options["reference"]:
            column, sep, group = item.partition("=")
            if not sep:
                raise CommandError(f"--reference '{item}' must look like COLUMN=GROUP")
            references[column] = group
        scores_only = options["outcome_type"] == OutcomeType.CONTINUOUS or bool(options["rank_column"])
        if options["decision"] and options["model"] or not (options["decision"] or options["model"] or scores_only):
            raise CommandError(
                "Give either --decision COLUMN (decisions in the file) or --model (a model to run), or audit scores "
                "alone with --outcome-type continuous --score-column COLUMN or a ranking with --rank-column COLUMN."
            )
        user, workspace = self._actor(options["user"], options["workspace"])
        try:
            with path.open("rb") as handle:
                dataset, model = dataset_create(
                    user=user,
                    workspace=workspace,
                    name=options["name"] or path.name,
                    upload=File(handle, name=path.name),
                    protected=[(c, references.get(c, "")) for c in options["protected"]],
                    decision_column=options["decision"],
                    decision_favourable=options["favourable_decision"] or options["favourable"],
                    outcome_column=options["outcome"],
                    outcome_favourable=options["favourable_outcome"] or options["favourable"],
                    score_column=options["score_column"],
                    text_column=options["text_column"],
                    score_higher_is_favourable=not options["score_lower_is_favourable"],
                    missing_policy=options["missing_policy"],
                    encoding=options["encoding"],
                    delimiter=options["delimiter"],
                    outcome_type=options["outcome_type"] or OutcomeType.BINARY,
                    rank_column=options["rank_column"],
                    rank_query_column=options["rank_query_column"],
                    inline=True,  # no web process here: validated now, whatever the size
                    proxy_columns=[c for e in estimated for c in _proxy_columns(e)],
                )
            if options["model"]:
                model = self._model(options, user, workspace, dataset)
            plan = audit_plan_create(
                user=user,
                dataset=dataset,
                model=model,
                n_boot=options["n_boot"],
                seed=options["seed"],
                alpha=options["alpha"],
                min_group_size=options["min_group_size"],
                min_denominator=options["min_denominator"],
                regression_tolerance=options["regression_tolerance"],
                verdict_error_control=options["verdict_error_control"],
                intersections=[[c.strip() for c in item.split(",") if c.strip()] for item in options["intersect"]],
                estimated_attributes=estimated,
                multiclass=options["multiclass"],
                probes=options["probe"],
                probe_settings=_probe_settings(options),
                checks=options["check"],
                outcome_type=options["outcome_type"] or "",
                rank_column=options["rank_column"],
                rank_query_column=options["rank_query_column"],
                top_k=options["top_k"],
            )
            run = self._queue(user, plan)
        except ApplicationError as exc:
            raise _command_error(exc) from exc
        self.log(f"Dataset {dataset.pk} stored ({dataset.n_rows} rows); plan {plan.pk}; run {run.pk} queued.")
        self._finish(run, options)

    def _model_only(self, options):
        if not options["model"] or not options["probe"]:
            raise CommandError("Without --dataset, give --model (a language model or encoder) and --probe.")
        user, workspace = self._actor(options["user"], options["workspace"])
        try:
            model = self._model(options, user, workspace, None)
            plan = audit_plan_create(
                user=user,
                dataset=None,
                model=model,
                name=options["name"],
                n_boot=options["n_boot"],
                seed=options["seed"],
                alpha=options["alpha"],
                probes=options["probe"],
                probe_settings=_probe_settings(options),
            )
            run = self._queue(user, plan)
        except ApplicationError as exc:
            raise _command_error(exc) from exc
        self.log(f"Model {model.pk} ({model.kind}); plan {plan.pk}; run {run.pk} queued.")
        self._finish(run, options)

    def _queue(self, user, plan):
        if current_app.conf.task_always_eager:
            self.log("No broker configured (CELERY_BROKER_URL unset): the audit runs in this process.")
        return audit_run_create(user=user, plan=plan)

    def _finish(self, run, options):
        run = self._wait(run, options["timeout"])
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"Run {run.pk} {run.status}: {run.error}")
        report = AuditReport.objects.get(run=run)
        document, fail_on = report.document, options["fail_on"]
        if self.output_format == "text":
            self.stdout.write("")
            self.stdout.write(report_summary(document, report.sha256))
        if options["out"]:
            Path(options["out"]).write_bytes(report.canonical_json.encode("utf-8"))
            self.log(f"Report written to {options['out']}")
        self.log(
            f"Report {report.pk} in workspace '{run.workspace.slug}' (manage.py export_report {report.pk} --format …)."
        )
        if self.output_format == "json":
            self.stdout.write(gate_json(document, report.sha256, report.pk, fail_on), ending="")
        elif self.output_format == "junit":
            self.stdout.write(gate_junit(document, report.sha256, report.pk, fail_on), ending="")
        elif fail_on:
            self.stdout.write(gate_text(document, fail_on))
        failures = gate_failures(gate_cases(document), fail_on)
        if failures:
            raise CommandError(
                f"Gate failed: {len(failures)} verdict(s) at or beyond '{fail_on}' in report {report.pk} "
                f"(--fail-on {fail_on}).",
                returncode=GATE_FAILED,
            )

    def _model(self, options, user, workspace, dataset):
        reference = options["model"]
        if reference.isdigit():
            model = ModelArtifact.objects.filter(pk=int(reference), workspace=workspace).first()
            if model is None:
                raise CommandError(f"No model {reference} in workspace '{workspace.slug}'.")
            return model
        common = {
            "actor": user,
            "workspace": workspace,
            "dataset": dataset,
            "favourable": [options["favourable_class"]],
            "text_column": options["text_column"],
            "inline": True,  # no web process here: loaded and tested now, whatever the size
        }
        if reference.startswith("builtin:"):
            return model_register(**common, source=ModelBuiltin(reference.removeprefix("builtin:")))
        path = Path(reference)
        if path.is_dir():  # the operator's own folder: zipped into the platform's storage like an upload
            with tempfile.TemporaryFile(suffix=".zip") as spool:
                with zipfile.ZipFile(spool, "w") as archive:
                    for item in sorted(path.rglob("*")):
                        if item.is_file() or item.is_symlink():
                            archive.write(item, item.relative_to(path).as_posix())
                spool.seek(0)
                return model_register(**common, source=ModelFile(File(spool, name=path.name)), name=path.name)
        if not path.is_file():
            raise CommandError(f"No such model file or folder: {path}")
        with path.open("rb") as handle:
            return model_register(**common, source=ModelFile(File(handle, name=path.name)))

    def _actor(self, username: str, slug: str | None):
        """The acting user and workspace, said in the output so the operator knows where to find the audit."""
        slug = slug or default_workspace_slug()
        with transaction.atomic():
            user = user_get_or_create(username=username)
            workspace = Workspace.objects.filter(slug=slug).first()
            if workspace is None:
                workspace = workspace_create(name=slug, slug=slug, owner=user)
            elif workspace_role(user=user, workspace=workspace) is None:
                if username != CLI_USER:
                    raise CommandError(f"User '{username}' is not a member of workspace '{slug}'.")
                membership_set(workspace=workspace, user=user, role=Role.AUDITOR, actor=user)
        self.log(f"Acting as user '{user.username}' in workspace '{workspace.slug}' (--user, --workspace).")
        return user, workspace

    def _wait(self, run: AuditRun, timeout: float) -> AuditRun:
        deadline = time.monotonic() + timeout
        announced = False
        last = None
        while True:
            run.refresh_from_db()
            if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
                return run
            if run.status == RunStatus.QUEUED and not announced:
                self.log(f"Waiting for a Celery worker on {settings.CELERY_BROKER_URL} …")
                announced = True
            if run.status == RunStatus.RUNNING and (run.progress, run.stage) != last:
                last = (run.progress, run.stage)
                self.log(f"  {run.progress:3d}% {run.stage} (worker {run.worker})")
            if time.monotonic() > deadline:
                raise CommandError(f"Run {run.pk} still {run.status} after {timeout:.0f}s; is a worker running?")
            time.sleep(0.5)


def default_workspace_slug() -> str:
    """The demo workspace once `seed_demo` has made it (its users then see CLI audits in the web app), else 'cli'."""
    return DEMO_WORKSPACE if Workspace.objects.filter(slug=DEMO_WORKSPACE).exists() else CLI_WORKSPACE


# CLI options that set a probe setting: option -> probe_settings key. audit_plan_create validates the values
# (ProbeSettings), with the same messages as for the API.
PROBE_OPTIONS = {
    "lexicon": "lexicons",
    "max_pairs": "max_pairs",
    "max_templates": "max_templates",
    "max_items": "max_items",
    "attributions": "attributions",
    "attribution_budget": "attribution_budget",
    "black_box_attributions": "attribution_black_box",
    "global_explanations": "global_explanations",
    "global_layer": "global_layer",
    "explanation_quality": "explanation_quality",
}


def _estimated(options) -> list[dict]:
    """The plan's estimated attribute from --estimate and its proxy columns (the service checks the columns)."""
    proxies = ("surname_column", "zip_column", "first_name_column", "estimate_reference")
    if not options["estimate"]:
        given = [f"--{name.replace('_', '-')}" for name in proxies if options[name]]
        if given:
            raise CommandError(f"{', '.join(given)} need --estimate race.")
        return []
    if not options["surname_column"]:
        raise CommandError("--estimate race needs --surname-column COLUMN.")
    return [
        {
            "estimate": options["estimate"],
            "surname_column": options["surname_column"],
            "zip_column": options["zip_column"],
            "first_name_column": options["first_name_column"],
            "reference_group": options["estimate_reference"],
        }
    ]


def _proxy_columns(estimated: dict) -> list[str]:
    return [estimated[k] for k in ("surname_column", "zip_column", "first_name_column") if estimated[k]]


def _probe_settings(options) -> dict:
    """The probe settings the operator gave (flags left out keep the plan's defaults)."""
    given = {key: options[option] for option, key in PROBE_OPTIONS.items()}
    return {key: value for key, value in given.items() if value is not None and value is not False and value != []}


def _command_error(exc: ApplicationError) -> CommandError:
    where = f" [{exc.field}]" if exc.field else ""
    return CommandError(f"{exc.message}{where}")
