# The plan's verdict_error_control (explainers.audit_settings.PlanSettings; explainers.metrics.family).
# Its choices are added in 0021_famwise_choices.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0019_verify_signed_renderings"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditplan",
            name="verdict_error_control",
            field=models.CharField(default="familywise", max_length=20),
        ),
    ]
