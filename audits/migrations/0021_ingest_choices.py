from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0020_ingest_dataset_status'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('workspace.created', 'Workspace created'), ('membership.set', 'Membership set'), ('membership.removed', 'Member removed'), ('token.created', 'API token created'), ('token.revoked', 'API token revoked'), ('dataset.created', 'Dataset uploaded'), ('dataset.refused', 'Dataset upload refused'), ('model.refused', 'Model registration refused'), ('model.registered', 'Model registered'), ('lexicon.created', 'Lexicon created'), ('plan.created', 'Plan created'), ('run.queued', 'Run queued'), ('run.started', 'Run started'), ('run.succeeded', 'Run succeeded'), ('run.failed', 'Run failed'), ('run.requeued', 'Run requeued after a lost worker'), ('run.artifact_downloaded', 'Run artifact downloaded'), ('report.created', 'Report created'), ('report.viewed', 'Report viewed'), ('report.exported', 'Report exported'), ('report.signed', 'Report signed'), ('report.approval_signed', 'Approval signed'), ('report.regression_found', 'Regression found against the last approved report'), ('review.submit', 'Submitted for review'), ('review.start', 'Review started'), ('review.approve', 'Approved'), ('review.reject', 'Rejected'), ('review.request_changes', 'Changes requested'), ('review.comment', 'Review comment'), ('review.refused', 'Review action refused'), ('webhook.created', 'Webhook created'), ('webhook.updated', 'Webhook changed'), ('webhook.deleted', 'Webhook deleted'), ('webhook.tested', 'Webhook test sent'), ('plan.reaudit_skipped', 'Re-audit on a new version skipped'), ('schedule.created', 'Schedule created'), ('schedule.updated', 'Schedule changed'), ('schedule.paused', 'Schedule paused'), ('schedule.resumed', 'Schedule resumed'), ('schedule.deleted', 'Schedule deleted'), ('schedule.skipped', 'Scheduled run skipped')], db_index=True, max_length=100),
        ),
    ]
