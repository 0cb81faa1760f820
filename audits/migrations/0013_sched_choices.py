# The trail vocabulary of schedules and re-audits (choices only: the lead may drop and regenerate this file).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0012_sched_schedules_versions'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('workspace.created', 'Workspace created'), ('membership.set', 'Membership set'), ('membership.removed', 'Member removed'), ('token.created', 'API token created'), ('token.revoked', 'API token revoked'), ('dataset.created', 'Dataset uploaded'), ('model.registered', 'Model registered'), ('lexicon.created', 'Lexicon created'), ('plan.created', 'Plan created'), ('run.queued', 'Run queued'), ('run.started', 'Run started'), ('run.succeeded', 'Run succeeded'), ('run.failed', 'Run failed'), ('run.requeued', 'Run requeued after a lost worker'), ('run.artifact_downloaded', 'Run artifact downloaded'), ('report.created', 'Report created'), ('report.viewed', 'Report viewed'), ('report.exported', 'Report exported'), ('report.signed', 'Report signed'), ('report.approval_signed', 'Approval signed'), ('review.submit', 'Submitted for review'), ('review.start', 'Review started'), ('review.approve', 'Approved'), ('review.reject', 'Rejected'), ('review.request_changes', 'Changes requested'), ('review.comment', 'Review comment'), ('review.refused', 'Review action refused'), ('plan.reaudit_skipped', 'Re-audit on a new version skipped'), ('schedule.created', 'Schedule created'), ('schedule.updated', 'Schedule changed'), ('schedule.paused', 'Schedule paused'), ('schedule.resumed', 'Schedule resumed'), ('schedule.deleted', 'Schedule deleted'), ('schedule.skipped', 'Scheduled run skipped')], db_index=True, max_length=100),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='object_type',
            field=models.CharField(choices=[('Workspace', 'Workspace'), ('Membership', 'Membership'), ('Dataset', 'Dataset'), ('ModelArtifact', 'Model'), ('WorkspaceLexicon', 'Lexicon'), ('AuditPlan', 'Plan'), ('AuditRun', 'Run'), ('AuditReport', 'Report'), ('ReportReview', 'Review'), ('AuditSchedule', 'Schedule'), ('User', 'User')], max_length=100),
        ),
    ]
