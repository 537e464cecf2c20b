"""Admin log rows written before tokens read as "token of <user>" (admin_users.py) name a token
by its key, in object_repr and, for the concrete Token, in object_id: hide the keys."""

from django.db import migrations

HIDDEN = "token (key hidden)"


def hide_token_keys(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    log_entry = apps.get_model("admin", "LogEntry")
    token = apps.get_model("authtoken", "Token")
    types = content_type.objects.filter(app_label="authtoken", model__in=("token", "tokenproxy"))
    rows = log_entry.objects.filter(content_type__in=types).exclude(object_repr__startswith="token of ")
    keys = set(token.objects.values_list("key", flat=True))
    for row in rows:
        row.object_repr = HIDDEN
        if row.object_id in keys or len(row.object_id or "") == 40:
            row.object_id = ""
        row.save(update_fields=["object_repr", "object_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("crib", "0005_verdicts"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(hide_token_keys, migrations.RunPython.noop)]
