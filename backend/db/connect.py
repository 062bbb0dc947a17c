"""One connection to state.db with the settings every caller needs: WAL so the UI can read while
the CLI writes, foreign keys on, a busy timeout, and explicit write transactions."""

import contextlib
import threading
from pathlib import Path

import apsw

from backend.errors import StateError

BUSY_TIMEOUT_MS = 30_000


class Database:
    """A thin wrapper over apsw.Connection. All SQL of the project lives in backend/db modules
    that take a Database; nothing outside backend/db touches `conn`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = apsw.Connection(str(path))
        except apsw.Error as exc:
            raise StateError(f"cannot open database {path}: {exc}") from None
        self.conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        self._lock = threading.RLock()  # one apsw connection, many worker threads
        self._depth = 0
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except apsw.NotADBError:
            self.conn.close()
            raise StateError(f"{path} is not a SQLite database") from None
        except apsw.CorruptError as exc:
            self.conn.close()
            raise StateError(f"{path} is damaged ({exc}); restore a backup with "
                             "`video-archive db restore FILE`") from None

    @contextlib.contextmanager
    def _translated(self):
        """SQLite failures a person can act on become StateErrors naming the file; the rest
        (constraint violations: bugs or caller errors) stay apsw errors for the caller."""
        try:
            yield
        except (apsw.CorruptError, apsw.NotADBError) as exc:
            raise StateError(f"{self.path} is damaged ({exc}); run `video-archive db check` or "
                             "restore a backup with `video-archive db restore FILE`") from None
        except apsw.FullError:
            raise StateError(f"the disk holding {self.path} is full; free space, then try "
                             "again") from None
        except apsw.ReadOnlyError:
            raise StateError(f"{self.path} cannot be written (a read-only file or folder)") from None

    @contextlib.contextmanager
    def transaction(self):
        """A write transaction. BEGIN IMMEDIATE takes the write lock up front, so a second process
        waits on the busy timeout instead of failing with 'database is locked' on upgrade.
        Nested calls become savepoints."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    with self.conn:  # apsw: a SAVEPOINT
                        yield self
                finally:
                    self._depth -= 1
                return
            with self._translated():
                self.conn.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield self
                except BaseException:
                    self._depth = 0
                    # SQLite may already have rolled back (disk full, interrupt); a second
                    # ROLLBACK would raise and hide the error that matters.
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
                self._depth = 0
                try:
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise

    @property
    def in_transaction(self) -> bool:
        """Whether a write transaction is open on this connection (any thread's)."""
        return self._depth > 0 or self.conn.in_transaction

    @contextlib.contextmanager
    def locked(self):
        """Keep other threads of this process off the connection: for work that must not
        interleave with their statements (backups, VACUUM) but is not a transaction."""
        with self._lock:
            yield self

    def execute(self, sql: str, params=()) -> int:
        """Run one write statement in a transaction (joining the current one if any); return the
        number of rows changed."""
        with self.transaction():
            self.conn.execute(sql, params)
            return self.conn.changes()

    def insert(self, sql: str, params=()) -> int:
        """Run one INSERT and return the new rowid."""
        with self.transaction():
            self.conn.execute(sql, params)
            return self.conn.last_insert_rowid()

    def query(self, sql: str, params=()) -> list[dict]:
        with self._lock, self._translated():
            cur = self.conn.cursor()
            # the row trace sees the description while the statement is live
            cur.row_trace = lambda c, row: dict(zip((d[0] for d in c.get_description()), row))
            return cur.execute(sql, params).fetchall()

    def query_one(self, sql: str, params=()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params=()):
        with self._lock, self._translated():
            row = self.conn.execute(sql, params).fetchone()
            return row[0] if row else None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
