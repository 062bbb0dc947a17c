"""The state store: every SQL statement of the project lives in this package."""

from pathlib import Path

from backend.db.connect import Database


def open_db(path: str | Path) -> Database:
    """Open state.db, creating it or migrating it (after an automatic backup) to the current schema,
    and record which release opened it (app_version)."""
    from backend.db import migrations

    db = Database(path)
    try:
        migrations.record_app_version(db, migrations.migrate(db))
    except BaseException:
        db.close()
        raise
    return db
