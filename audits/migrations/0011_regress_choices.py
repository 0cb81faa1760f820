# Choices only (the trail vocabulary gains report.regression_found): the lead may drop and regenerate this file.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0010_regress_regression_tolerance"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("workspace.created", "Workspace created"),
                    ("membership.set", "Membership set"),
                    ("membership.removed", "Member removed"),
                    ("token.created", "API token created"),
                    ("token.revoked", "API token revoked"),
                    ("dataset.created", "Dataset uploaded"),
                    ("model.registered", "Model registered"),
                    ("lexicon.created", "Lexicon created"),
                    ("plan.created", "Plan created"),
                    ("run.queued", "Run queued"),
                    ("run.started", "Run started"),
                    ("run.succeeded", "Run succeeded"),
                    ("run.failed", "Run failed"),
                    ("run.requeued", "Run requeued after a lost worker"),
                    ("run.artifact_downloaded", "Run artifact downloaded"),
                    ("report.created", "Report created"),
                    ("report.viewed", "Report viewed"),
                    ("report.exported", "Report exported"),
                    ("report.signed", "Report signed"),
                    ("report.approval_signed", "Approval signed"),
                    ("report.regression_found", "Regression found against the last approved report"),
                    ("review.submit", "Submitted for review"),
                    ("review.start", "Review started"),
                    ("review.approve", "Approved"),
                    ("review.reject", "Rejected"),
                    ("review.request_changes", "Changes requested"),
                    ("review.comment", "Review comment"),
                    ("review.refused", "Review action refused"),
                ],
                db_index=True,
                max_length=100,
            ),
        ),
    ]
