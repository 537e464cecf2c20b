from django.db import migrations

from toolcrib.crib.kit import ensure_kit_types


def create_kit_types(apps, schema_editor):
    ensure_kit_types(apps.get_model("crib", "ToolType"))


class Migration(migrations.Migration):
    dependencies = [("crib", "0001_initial")]
    operations = [migrations.RunPython(create_kit_types, migrations.RunPython.noop)]
