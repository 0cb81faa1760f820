# The plan setting of regression detection (explainers.audit_settings.PlanSettings.regression_tolerance).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0014_gov_tokens_and_verdicts"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditplan",
            name="regression_tolerance",
            field=models.FloatField(default=0.05),
        ),
    ]
