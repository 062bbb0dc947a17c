"""One connection to state.db with the settings every caller needs: WAL so the UI can read while
the CLI writes, foreign keys on, a busy timeout, and explicit write transactions."""

import contextlib
import shutil
import threading
from pathlib import Path

import apsw

from backend import paths
from backend.errors import StateError

BUSY_TIMEOUT_MS = 30_000


class Database:
    """A thin wrapper over apsw.Connection. All SQL of the project lives in backend/db modules
    that take a Database; nothing outside backend/db touches `conn`."""

    def __init__(self, path: str | Path, *, read_only: bool = False, verify: bool = True,
                 untouched: bool = False):
        """Open `path`. An existing database is first inspected through a read-only connection
        (`verify`): one newer than this tool, not SQLite, or failing PRAGMA quick_check is
        refused with a StateError before anything could change a byte of it (switching to WAL
        rewrites the header). A file or folder that cannot be written is opened read-only:
        reads work, and the first write is refused in one line (see `transaction`).
        `untouched` (read-only, for `db check`): not even a -wal or -shm file may appear, so
        the file is read as immutable while no other connection has it open."""
        self.path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            try:
                exists = self.path.is_file() and self.path.stat().st_size > 0
            except OSError as exc:  # a symlink loop, a permission-less folder
                raise StateError(f"cannot open database {path}: {exc.strerror or exc}") from None
            if exists and verify:
                inspect(self.path)
            if not read_only and not exists:
                try:  # owner-only from the first byte: it names every artwork and path
                    paths.private_file(paths.private_dir(self.path.parent) / self.path.name)
                except OSError as exc:
                    raise StateError(f"cannot create the folder of database {path}: "
                                     f"{exc.strerror or exc}") from None
            elif not read_only:
                with contextlib.suppress(OSError):  # an older release's 0755 folder
                    paths.private_dir(self.path.parent)
        self.read_only = read_only or untouched
        read_only = self.read_only
        self._lock = threading.RLock()  # one apsw connection, many worker threads
        self._depth = 0
        self.conn = _connect(self.path if not memory else ":memory:", read_only,
                             immutable=untouched and _quiet(self.path))
        try:
            if not read_only and not memory:
                try:
                    if self.conn.readonly("main"):  # SQLite opened a write-protected file read-only
                        raise apsw.ReadOnlyError("read-only file")
                    self.conn.execute("PRAGMA journal_mode=WAL")
                except (apsw.ReadOnlyError, apsw.CantOpenError):  # a read-only folder or disk
                    self.conn.close()
                    self.read_only = True
                    self.conn = _connect(self.path, True)
            self.conn.execute("PRAGMA foreign_keys=ON")
            if not self.read_only:
                self.conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException as exc:
            self.conn.close()
            if isinstance(exc, apsw.Error):
                raise _state_error(self.path, exc) from None
            raise

    def require_writable(self, what: str = "this command") -> None:
        """One clear line instead of a failed write deep inside a command."""
        if self.read_only:
            raise StateError(f"{self.path} is read-only (the file, its folder or its disk), and "
                             f"{what} needs to write to it; make it writable, or use a copy "
                             "with --db")

    @contextlib.contextmanager
    def translated(self):
        """SQLite failures a person can act on become StateErrors naming the file; the rest
        (constraint violations: bugs or caller errors) stay apsw errors for the caller."""
        try:
            yield
        except (apsw.CorruptError, apsw.NotADBError, apsw.FullError, apsw.IOError,
                apsw.ReadOnlyError, apsw.CantOpenError) as exc:
            raise _state_error(self.path, exc) from None

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
            self.require_writable()
            with self.translated():
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
        with self._lock, self.translated():
            cur = self.conn.cursor()
            # the row trace sees the description while the statement is live
            cur.row_trace = lambda c, row: dict(zip((d[0] for d in c.get_description()), row))
            return cur.execute(sql, params).fetchall()

    def query_one(self, sql: str, params=()) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params=()):
        with self._lock, self.translated():
            row = self.conn.execute(sql, params).fetchone()
            return row[0] if row else None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _connect(path, read_only: bool, *, immutable: bool = False) -> apsw.Connection:
    try:
        if immutable:
            conn = _immutable(path)
        elif not read_only:
            conn = apsw.Connection(str(path))
        else:
            conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
            conn.set_busy_timeout(BUSY_TIMEOUT_MS)
            try:
                conn.execute("PRAGMA user_version").fetchone()
            except (apsw.CantOpenError, apsw.ReadOnlyError):  # READONLY_CANTINIT: no -shm
                # A WAL database whose folder cannot be written: SQLite cannot create the -shm
                # file. With no -wal file left, the main file holds everything and nobody can
                # change it, which is what immutable=1 promises.
                conn.close()
                wal = Path(f"{path}-wal")
                if wal.exists() and wal.stat().st_size:
                    raise
                conn = _immutable(path)
    except apsw.BusyError:
        raise
    except apsw.Error as exc:
        raise _state_error(Path(path), exc) from None
    conn.set_busy_timeout(BUSY_TIMEOUT_MS)  # another process may be migrating it right now
    return conn


def _immutable(path) -> apsw.Connection:
    uri = Path(path).absolute().as_uri() + "?immutable=1"  # file:///C:/... on Windows too
    return apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)


def _restore_hint(path: Path) -> str:
    newest = paths.list_backups(paths.backups_dir(path))
    where = f" (newest: {newest[-1]})" if newest else ""
    return f"restore a backup with `video-archive db restore FILE`{where}"


def _state_error(path: Path, exc: apsw.Error) -> StateError:
    """The one line a person reads for a SQLite failure they can act on."""
    if isinstance(exc, apsw.NotADBError):
        return StateError(f"{path} is not a SQLite database, or its header is damaged; nothing "
                          f"was written to it; {_restore_hint(path)}")
    if isinstance(exc, apsw.CorruptError):
        return StateError(f"{path} is damaged ({exc}); nothing was written to it; "
                          f"{_restore_hint(path)}")
    if isinstance(exc, (apsw.FullError, apsw.IOError)):
        try:
            free = f", {shutil.disk_usage(path.parent).free // 1024} KB free"
        except OSError:
            free = ""
        return StateError(f"cannot use {path}: the disk is full or failing ({exc}{free}); "
                          "free space, then try again")
    if isinstance(exc, apsw.ReadOnlyError):
        return StateError(f"{path} cannot be written (a read-only file, folder or disk)")
    return StateError(f"cannot open database {path}: {exc}")


def inspect(path: Path) -> int:
    """Check an existing database without changing it: a read-only connection reads its schema
    version and runs PRAGMA quick_check (a few ms for a typical state.db, see docs/state-db.md).
    Returns the version; refuses a newer one, a non-database and a damaged one.

    While no other connection has it open (no -wal or -journal beside it) the file is read as
    immutable, so not even an empty -wal or -shm appears next to a refused file; if the file
    changed during the check, a writer opened it meanwhile and the check is redone the
    ordinary read-only way."""
    from backend.db.schema import VERSION

    quiet = _quiet(path)
    before = _stamp(path)
    attempts = [True, False] if quiet else [False]
    for immutable in attempts:
        try:
            version, problems = _check(path, immutable=immutable)
            error = None
        except apsw.BusyError:
            raise
        except apsw.Error as exc:  # damage, or an immutable read of pages a writer was changing
            error = exc
        if not immutable or (_stamp(path) == before and _quiet(path)):
            break  # an immutable read of a file nobody touched meanwhile is the truth
    if error is not None:
        raise _state_error(path, error)
    if version > VERSION:
        from backend import __version__

        writer = problems[0] if problems and problems[0] != "ok" else None
        raise StateError(f"{path} has schema version {version}"
                         + (f" (last opened by video-archive {writer})" if writer else "")
                         + f", newer than video-archive {__version__} knows ({VERSION}); nothing "
                         "was changed: use that version or a newer one, or --db for another file")
    if problems != ["ok"]:
        raise StateError(f"{path} is damaged (quick_check: {'; '.join(' '.join(str(p).split()) for p in problems[:2])}); "
                         f"nothing was written to it; {_restore_hint(path)}")
    return version


def _quiet(path: Path) -> bool:
    """No other connection has it open: a live one always keeps a -wal or -journal file."""
    return path.is_file() and not any(Path(f"{path}{s}").exists() for s in ("-wal", "-journal"))


def _stamp(path: Path) -> tuple:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _check(path: Path, *, immutable: bool) -> tuple[int, list]:
    from backend.db.schema import VERSION

    conn = _connect(path, True, immutable=immutable)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:  # refused for its version; its pages are not ours to judge
            try:  # which release wrote it, for the message
                row = conn.execute("SELECT value FROM app_settings WHERE key = 'app_version'").fetchone()
            except apsw.Error:
                row = None
            return version, [row[0] if row and row[0] else "ok"]
        return version, [row[0] for row in conn.execute("PRAGMA quick_check")]
    finally:
        conn.close()
