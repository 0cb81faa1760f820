from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0020_famwise_verdict_error_control"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditplan",
            name="verdict_error_control",
            field=models.CharField(
                choices=[
                    ("per_comparison", "Per comparison: each verdict at 1 - alpha on its own"),
                    (
                        "familywise",
                        "Family-wise: every pass and fail holds jointly at 1 - alpha (simultaneous intervals)",
                    ),
                    ("fdr", "False discovery: Benjamini-Yekutieli false coverage-rate intervals"),
                ],
                default="familywise",
                max_length=20,
            ),
        ),
    ]
