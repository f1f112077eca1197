from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("media_pipeline", "0003_trainers_manage_lecture_videos"),
    ]

    operations = [
        migrations.AddField(
            model_name="lecturevideo",
            name="lock_holder",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
    ]
