"""`python manage.py audit`: upload a dataset, run a group-fairness audit, print and save the report."""

import time
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audits.choices import MissingPolicy, Role, RunStatus
from audits.exceptions import ApplicationError
from audits.models import AuditReport, AuditRun, ModelArtifact, Workspace
from audits.reports.summary import report_summary
from audits.services.audit_runs import audit_run_create
from audits.services.datasets import dataset_create
from audits.services.models import model_register_skops
from audits.services.plans import audit_plan_create
from audits.services.workspaces import membership_set, user_get_or_create, workspace_create, workspace_role


class Command(BaseCommand):
    help = "Audit a file that holds a model's decisions (and outcomes) across protected attributes."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, help="CSV or Parquet file")
        parser.add_argument("--decision", default="", help="column with the model's decisions")
        parser.add_argument("--model", default="", help="a skops model file to register, or a registered model id")
        parser.add_argument("--favourable-class", default="", help="the model's favourable class (with --model)")
        parser.add_argument(
            "--probe", action="append", default=[], help="tabular_counterfactual or text_counterfactual (repeatable)"
        )
        parser.add_argument("--text-column", default="", help="column of texts the model reads (text probes)")
        parser.add_argument("--lexicon", action="append", default=[], help="lexicon of the text probe (default gender)")
        parser.add_argument("--outcome", default="", help="column with the true outcomes (optional)")
        parser.add_argument("--favourable", action="append", default=[], help="favourable value of both columns")
        parser.add_argument("--favourable-decision", action="append", default=[])
        parser.add_argument("--favourable-outcome", action="append", default=[])
        parser.add_argument("--protected", action="append", required=True, help="protected column (repeatable)")
        parser.add_argument("--reference", action="append", default=[], help="declared reference: COLUMN=GROUP")
        parser.add_argument(
            "--intersect", action="append", default=[], help="audit an intersection too, e.g. race,sex (repeatable)"
        )
        parser.add_argument("--multiclass", action="store_true", help="also audit every decision class one-vs-rest")
        parser.add_argument("--score-column", default="", help="model score of the favourable decision")
        parser.add_argument(
            "--score-lower-is-favourable", action="store_true", help="the score is a risk: lower is favourable"
        )
        parser.add_argument("--out", help="write the report JSON here")
        parser.add_argument("--workspace", default="cli", help="workspace slug (created if missing)")
        parser.add_argument("--user", default="cli", help="username acting (created if missing)")
        parser.add_argument("--name", default="")
        parser.add_argument("--n-boot", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--alpha", type=float, default=0.05)
        parser.add_argument("--min-group-size", type=int, default=30)
        parser.add_argument("--missing-policy", choices=MissingPolicy.values, default=MissingPolicy.DROP_ROWS)
        parser.add_argument("--encoding", default=None)
        parser.add_argument("--delimiter", default=None)
        parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for a worker")

    def handle(self, *args, **options):
        path = Path(options["dataset"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        references = {}
        for item in options["reference"]:
            column, sep, group = item.partition("=")
            if not sep:
                raise CommandError(f"--reference '{item}' must look like COLUMN=GROUP")
            references[column] = group
        if bool(options["decision"]) == bool(options["model"]):
            raise CommandError("Give either --decision COLUMN (decisions in the file) or --model (a model to run).")
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
                intersections=[[c.strip() for c in item.split(",") if c.strip()] for item in options["intersect"]],
                multiclass=options["multiclass"],
                probes=options["probe"],
                probe_settings={"lexicons": options["lexicon"]} if options["lexicon"] else None,
            )
            if current_app.conf.task_always_eager:
                self.stdout.write("No broker configured (CELERY_BROKER_URL unset): the audit runs in this process.")
            run = audit_run_create(user=user, plan=plan)
        except ApplicationError as exc:
            where = f" [{exc.field}]" if exc.field else ""
            raise CommandError(f"{exc.message}{where}") from exc
        self.stdout.write(f"Dataset {dataset.pk} stored ({dataset.n_rows} rows); plan {plan.pk}; run {run.pk} queued.")
        run = self._wait(run, options["timeout"])
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"Run {run.pk} {run.status}: {run.error}")
        report = AuditReport.objects.get(run=run)
        self.stdout.write("")
        self.stdout.write(report_summary(report.document, report.sha256))
        if options["out"]:
            Path(options["out"]).write_bytes(report.canonical_json.encode("utf-8"))
            self.stdout.write(f"Report written to {options['out']}")

    def _model(self, options, user, workspace, dataset):
        reference = options["model"]
        if reference.isdigit():
            model = ModelArtifact.objects.filter(pk=int(reference), workspace=workspace).first()
            if model is None:
                raise CommandError(f"No model {reference} in workspace '{workspace.slug}'.")
            return model
        path = Path(reference)
        if not path.is_file():
            raise CommandError(f"No such model file: {path}")
        if not options["favourable_class"]:
            raise CommandError("--favourable-class is required with a model file.")
        with path.open("rb") as handle:
            return model_register_skops(
                user=user,
                workspace=workspace,
                upload=File(handle, name=path.name),
                favourable_class=options["favourable_class"],
                dataset=dataset,
            )

    def _actor(self, username: str, slug: str):
        with transaction.atomic():
            user = user_get_or_create(username=username)
            workspace = Workspace.objects.filter(slug=slug).first()
            if workspace is None:
                workspace = workspace_create(name=slug, slug=slug, owner=user)
            elif workspace_role(user=user, workspace=workspace) is None:
                if username != "cli":
                    raise CommandError(f"User '{username}' is not a member of workspace '{slug}'.")
                membership_set(workspace=workspace, user=user, role=Role.AUDITOR, actor=user)
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
                self.stdout.write(f"Waiting for a Celery worker on {settings.CELERY_BROKER_URL} …")
                announced = True
            if run.status == RunStatus.RUNNING and (run.progress, run.stage) != last:
                last = (run.progress, run.stage)
                self.stdout.write(f"  {run.progress:3d}% {run.stage} (worker {run.worker})")
            if time.monotonic() > deadline:
                raise CommandError(f"Run {run.pk} still {run.status} after {timeout:.0f}s; is a worker running?")
            time.sleep(0.5)
