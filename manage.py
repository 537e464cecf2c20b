#!/usr/bin/env python
import os
import sys

# Commands that never touch the database; `serve` starts and supervises it itself.
WITHOUT_DATABASE = {"serve", "check", "help", "version", "diffsettings", "--help", "--version"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolcrib.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from toolcrib.lib import embedded_db

    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    # Without DATABASE_URL, the embedded PostgreSQL runs for the command's duration (and is
    # stopped after it unless something else had started it).
    data_dir = None if command in WITHOUT_DATABASE else settings.EMBEDDED_DB_DIR
    with embedded_db.running(data_dir):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
