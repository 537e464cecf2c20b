from django.db import migrations

# This migration once created the model's tool types. They are made in one place now, after
# every migrate and every flush (toolcrib/crib/apps.py -> tool_types.ensure_model_types), so it
# does nothing; it stays so that the migration graph of existing databases is unchanged.


class Migration(migrations.Migration):
    dependencies = [("crib", "0001_initial")]
    operations = []
