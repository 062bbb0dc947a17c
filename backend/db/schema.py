"""The current state.db schema (version 3): the design's six tables, views and triggers with the
fixes listed in docs/state-db.md, the batch catalogue (version 3), plus the default settings rows. `create` builds it in one
transaction; migrations.py brings older databases to exactly this shape."""

import re

VERSION = 3

# processing_state and operation_log are the design's tables verbatim: their fixes are indexes
# and triggers, so a v1.0 database keeps these two tables untouched.
PROCESSING_STATE = """
CREATE TABLE processing_state (
    -- Primary identification
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT UNIQUE NOT NULL,

    -- Project information
    artwork_name TEXT NOT NULL,
    project_date TEXT NOT NULL,  -- Format: YY-MM-DD

    -- File paths
    master_path TEXT NOT NULL,
    rd_folder_path TEXT,  -- Optional
    output_path TEXT NOT NULL,

    -- Processing configuration
    preset_id TEXT NOT NULL,
    custom_settings TEXT,  -- JSON for custom preset overrides
    encoder_type TEXT DEFAULT 'x264',  -- x264 or nvenc
    scene_threshold REAL DEFAULT 30.0,
    min_scene_length INTEGER DEFAULT 15,

    -- Progress tracking
    total_operations INTEGER NOT NULL,
    completed_operations INTEGER DEFAULT 0,
    current_operation TEXT,
    operation_details TEXT,  -- JSON with detailed progress

    -- Scene data
    scenes_data TEXT,  -- JSON array of detected scenes
    selected_scenes TEXT,  -- JSON array of user selections
    grouped_scenes TEXT,  -- JSON object of grouped scenes

    -- Status
    status TEXT DEFAULT 'initialized',  -- initialized, processing, paused, completed, failed
    error_message TEXT,

    -- Timestamps
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMP,

    -- Metadata
    process_metadata TEXT  -- JSON for additional data
)"""

OPERATION_LOG = """
CREATE TABLE operation_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,

    -- Operation details
    operation_type TEXT NOT NULL,  -- scene_detection, optimization, still_extraction, etc.
    operation_name TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,

    -- Status tracking
    status TEXT NOT NULL,  -- pending, processing, completed, failed, skipped
    progress REAL DEFAULT 0.0,  -- 0.0 to 1.0

    -- Performance metrics
    start_time TIMESTAMP,
    end_time TIMESTAMP,
    duration_seconds REAL,

    -- File information
    input_file TEXT,
    output_files TEXT,  -- JSON array
    file_sizes TEXT,  -- JSON object with size information

    -- Technical details
    settings_used TEXT,  -- JSON with operation-specific settings
    error_details TEXT,
    warning_messages TEXT,  -- JSON array

    -- Resource usage
    cpu_usage REAL,
    gpu_usage REAL,
    memory_usage INTEGER,  -- in MB

    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (session_id) REFERENCES processing_state(session_id)
)"""

# The next four differ from the design only by CHECK constraints: SQLite's BOOLEAN is a NUMERIC
# column that accepts 'true', 'yes' or 2, which the views' `= 1` tests would silently miss.
USER_PRESETS = """
CREATE TABLE user_presets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    preset_id TEXT UNIQUE NOT NULL,
    preset_name TEXT NOT NULL,

    -- Preset configuration
    base_preset TEXT,  -- ID of built-in preset this is based on
    is_default BOOLEAN DEFAULT 0 CHECK (is_default IN (0, 1)),

    -- Settings (all stored as JSON)
    stills_hq_settings TEXT NOT NULL,
    stills_web_settings TEXT NOT NULL,
    video_settings TEXT NOT NULL,
    thumbnail_settings TEXT,

    -- Advanced options
    advanced_settings TEXT,  -- JSON with encoding options, filters, etc.

    -- Metadata
    description TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    modified_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    last_used_at TIMESTAMP,
    usage_count INTEGER DEFAULT 0
)"""

_HISTORY_COLUMNS = """
    -- Project identification
    artwork_name TEXT NOT NULL,
    project_date TEXT NOT NULL,
    output_path TEXT NOT NULL,

    -- Source information
    master_filename TEXT NOT NULL,
    master_duration REAL,
    master_resolution TEXT,
    master_fps REAL,
    master_codec TEXT,
    master_size_mb REAL,

    -- Processing summary
    scenes_detected INTEGER,
    scenes_exported INTEGER,
    stills_created INTEGER,
    clips_created INTEGER,
    rd_files_processed INTEGER,

    -- Output statistics
    total_files_created INTEGER,
    total_output_size_mb REAL,
    compression_ratio REAL,

    -- Performance metrics
    total_processing_time_seconds REAL,
    gpu_accelerated BOOLEAN CHECK (gpu_accelerated IN (0, 1)),
    average_fps_processed REAL,

    -- Quality metrics
    preset_used TEXT,
    encoder_used TEXT,

    -- Completion status
    completed_successfully BOOLEAN CHECK (completed_successfully IN (0, 1)),
    completion_notes TEXT,

    -- Timestamps
    started_at TIMESTAMP,
    completed_at TIMESTAMP,

    -- Additional data
    metadata TEXT,  -- JSON for extensibility"""

PROJECT_HISTORY = f"""
CREATE TABLE project_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT UNIQUE NOT NULL,
{_HISTORY_COLUMNS}

    FOREIGN KEY (session_id) REFERENCES processing_state(session_id)
)"""

# Not in the design's schema although its cleanup (6.1) writes to it. Same columns as
# project_history; `id` keeps the row's original id. No foreign key: the archive is the lasting
# record and must not pin session rows.
PROJECT_HISTORY_ARCHIVE = f"""
CREATE TABLE project_history_archive (
    id INTEGER PRIMARY KEY,  -- the id the row had in project_history
    session_id TEXT UNIQUE NOT NULL,
{_HISTORY_COLUMNS}

    archived_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

FILE_REGISTRY = """
CREATE TABLE file_registry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,

    -- File information
    file_path TEXT NOT NULL,
    file_type TEXT NOT NULL,  -- master, still_hq, still_web, clip, rd_image, rd_video
    file_category TEXT NOT NULL,  -- masters, stills, clips, rd

    -- File properties
    file_size_bytes INTEGER,
    file_format TEXT,
    resolution TEXT,
    aspect_ratio TEXT,
    duration_seconds REAL,  -- For videos
    frame_number INTEGER,  -- For stills extracted from video

    -- Processing information
    source_file TEXT,
    compression_settings TEXT,  -- JSON
    processing_time_ms INTEGER,

    -- Metadata
    has_metadata BOOLEAN DEFAULT 1 CHECK (has_metadata IN (0, 1)),
    metadata_embedded TEXT,  -- JSON of embedded metadata

    -- Status
    file_exists BOOLEAN DEFAULT 1 CHECK (file_exists IN (0, 1)),
    verified BOOLEAN DEFAULT 0 CHECK (verified IN (0, 1)),

    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (session_id) REFERENCES processing_state(session_id)
)"""

VALUE_TYPES = ("string", "integer", "real", "boolean", "json")

APP_SETTINGS = """
CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    value_type TEXT DEFAULT 'string'  -- string, integer, real, boolean, json
        CHECK (value_type IN ('string', 'integer', 'real', 'boolean', 'json')),
    category TEXT DEFAULT 'general',
    description TEXT,
    modified_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

# Version 3: the catalogue of `video-archive batch` (docs/batch.md). One batch_runs row per batch,
# one batch_jobs row per manifest row; each job's own session is an ordinary processing_state row.
BATCH_RUNS = """
CREATE TABLE batch_runs (
    batch_id TEXT PRIMARY KEY,
    manifest_path TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('local', 'ray')),
    ray_address TEXT,
    jobs_at_once INTEGER NOT NULL DEFAULT 1 CHECK (jobs_at_once >= 1),
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'paused', 'finished', 'waiting')),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

BATCH_JOBS = """
CREATE TABLE batch_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL REFERENCES batch_runs(batch_id) ON DELETE CASCADE,
    job INTEGER NOT NULL,  -- the manifest's row number
    request TEXT NOT NULL,  -- JSON: the process request of the row
    archive TEXT NOT NULL,
    needs_gpu BOOLEAN NOT NULL DEFAULT 0 CHECK (needs_gpu IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done', 'skipped', 'failed', 'paused', 'waiting')),
    node TEXT,
    session_id TEXT,
    size_bytes INTEGER,
    error TEXT,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    UNIQUE (batch_id, job)
)"""

TABLES: dict[str, str] = {
    "processing_state": PROCESSING_STATE,
    "operation_log": OPERATION_LOG,
    "user_presets": USER_PRESETS,
    "project_history": PROJECT_HISTORY,
    "project_history_archive": PROJECT_HISTORY_ARCHIVE,
    "file_registry": FILE_REGISTRY,
    "app_settings": APP_SETTINGS,
    "batch_runs": BATCH_RUNS,
    "batch_jobs": BATCH_JOBS,
}

# name -> (table, statement). The design's eleven indexes, then the additions.
INDEXES: dict[str, tuple[str, str]] = {
    "idx_session_status": ("processing_state",
                           "CREATE INDEX idx_session_status ON processing_state(status)"),
    "idx_session_date": ("processing_state",
                         "CREATE INDEX idx_session_date ON processing_state(created_at)"),
    "idx_operation_session": ("operation_log",
                              "CREATE INDEX idx_operation_session ON operation_log(session_id)"),
    "idx_operation_status": ("operation_log",
                             "CREATE INDEX idx_operation_status ON operation_log(status)"),
    "idx_preset_name": ("user_presets", "CREATE INDEX idx_preset_name ON user_presets(preset_name)"),
    "idx_preset_default": ("user_presets",
                           "CREATE INDEX idx_preset_default ON user_presets(is_default)"),
    "idx_history_artwork": ("project_history",
                            "CREATE INDEX idx_history_artwork ON project_history(artwork_name)"),
    "idx_history_date": ("project_history",
                         "CREATE INDEX idx_history_date ON project_history(completed_at)"),
    "idx_file_session": ("file_registry", "CREATE INDEX idx_file_session ON file_registry(session_id)"),
    "idx_file_type": ("file_registry", "CREATE INDEX idx_file_type ON file_registry(file_type)"),
    "idx_file_path": ("file_registry", "CREATE INDEX idx_file_path ON file_registry(file_path)"),
    # One row per planned operation: resume and finish_operation address rows by number.
    "idx_operation_sequence": ("operation_log", "CREATE UNIQUE INDEX idx_operation_sequence "
                               "ON operation_log(session_id, sequence_number)"),
    # Registering a file again on resume updates its row instead of adding a duplicate.
    "idx_file_session_path": ("file_registry", "CREATE UNIQUE INDEX idx_file_session_path "
                              "ON file_registry(session_id, file_path)"),
    "idx_history_archive_artwork": ("project_history_archive",
                                    "CREATE INDEX idx_history_archive_artwork "
                                    "ON project_history_archive(artwork_name)"),
    "idx_history_archive_date": ("project_history_archive",
                                 "CREATE INDEX idx_history_archive_date "
                                 "ON project_history_archive(completed_at)"),
}

# Timestamps are compared through datetime(): it reads CURRENT_TIMESTAMP's 'YYYY-MM-DD HH:MM:SS',
# the millisecond form used by operation_log and ISO 'T'/offset forms alike, where a plain string
# comparison would order '2024-01-01T…' after '2024-01-01 …'.
VIEWS: dict[str, str] = {
    "active_sessions": """
CREATE VIEW active_sessions AS
SELECT
    session_id,
    artwork_name,
    status,
    CASE WHEN total_operations > 0
         THEN ROUND(CAST(COALESCE(completed_operations, 0) AS REAL) / total_operations * 100, 1)
         ELSE 0.0
    END as progress_percent,
    current_operation,
    updated_at
FROM processing_state
WHERE status IN ('initialized', 'processing', 'paused')
ORDER BY datetime(updated_at) DESC, id DESC""",
    "project_statistics": """
CREATE VIEW project_statistics AS
SELECT
    COUNT(*) as total_projects,
    COUNT(CASE WHEN completed_successfully = 1 THEN 1 END) as successful_projects,
    AVG(total_processing_time_seconds) as avg_processing_time,
    SUM(total_files_created) as total_files_created,
    SUM(total_output_size_mb) as total_output_size_mb,
    AVG(compression_ratio) as avg_compression_ratio
FROM project_history
WHERE datetime(completed_at) >= datetime('now', '-30 days')""",
}

# Columns whose change counts as a modification of the session. updated_at is left out so the
# trigger's own UPDATE can never fire it again (even with recursive_triggers on), completed_at so
# complete_session's UPDATE does not fire it a second time. tests/test_db_schema.py checks that
# every other column is listed.
SESSION_TRACKED_COLUMNS = (
    "session_id, artwork_name, project_date, master_path, rd_folder_path, output_path, preset_id, "
    "custom_settings, encoder_type, scene_threshold, min_scene_length, total_operations, "
    "completed_operations, current_operation, operation_details, scenes_data, selected_scenes, "
    "grouped_scenes, status, error_message, created_at, process_metadata")

PRESET_TRACKED_COLUMNS = (
    "preset_id, preset_name, base_preset, is_default, stills_hq_settings, stills_web_settings, "
    "video_settings, thumbnail_settings, advanced_settings, description")

TRIGGERS: dict[str, str] = {
    "update_processing_state_timestamp": f"""
CREATE TRIGGER update_processing_state_timestamp
AFTER UPDATE OF {SESSION_TRACKED_COLUMNS} ON processing_state
BEGIN
    UPDATE processing_state
    SET updated_at = CURRENT_TIMESTAMP
    WHERE id = NEW.id;
END""",
    # COALESCE: a NULL usage_count (the column allows it) would otherwise stay NULL forever.
    "track_preset_usage": """
CREATE TRIGGER track_preset_usage
AFTER INSERT ON processing_state
BEGIN
    UPDATE user_presets
    SET usage_count = COALESCE(usage_count, 0) + 1,
        last_used_at = CURRENT_TIMESTAMP
    WHERE preset_id = NEW.preset_id;
END""",
    # Fires on a change of status only: saving 'completed' again keeps the first completion time,
    # and a session reopened for more work (resume after adding scenes) is no longer completed.
    "complete_session": """
CREATE TRIGGER complete_session
AFTER UPDATE OF status ON processing_state
WHEN NEW.status IS NOT OLD.status AND 'completed' IN (NEW.status, OLD.status)
BEGIN
    UPDATE processing_state
    SET completed_at = CASE WHEN NEW.status = 'completed' THEN CURRENT_TIMESTAMP END
    WHERE id = NEW.id;
END""",
    # The design has modified_at but nothing that maintains it. Usage counting is not a
    # modification, so usage_count and last_used_at are not tracked.
    "update_user_presets_timestamp": f"""
CREATE TRIGGER update_user_presets_timestamp
AFTER UPDATE OF {PRESET_TRACKED_COLUMNS} ON user_presets
BEGIN
    UPDATE user_presets
    SET modified_at = CURRENT_TIMESTAMP
    WHERE id = NEW.id;
END""",
}

COPYRIGHT_DEFAULT = "\u00a9 Yambo Studio"

# (key, value, value_type, category, description): the design's rows, fixed, then the additions.
DEFAULT_SETTINGS: list[tuple[str, str, str, str, str]] = [
    ("app_version", "1.0.0", "string", "system", "Application version"),
    ("last_output_directory", "", "string", "paths", "Last used output directory"),
    ("last_master_directory", "", "string", "paths", "Last directory for master files"),
    ("last_rd_directory", "", "string", "paths", "Last directory for R&D files"),
    ("default_preset", "webflow_standard", "string", "presets", "Default compression preset"),
    ("scene_threshold_default", "30", "real", "processing", "Default scene detection threshold"),
    ("min_scene_length_default", "15", "integer", "processing",
     "Default minimum scene length in frames"),
    # 'auto' (not in the design): NVENC when a real test encode proves it, else x264.
    ("encoder_preference", "auto", "string", "encoding", "Preferred encoder (auto, x264 or nvenc)"),
    ("auto_open_output", "1", "boolean", "behavior", "Automatically open output folder on completion"),
    ("generate_log", "1", "boolean", "behavior", "Generate process log file"),
    ("extract_midpoint_stills", "1", "boolean", "processing", "Extract stills from scene midpoints"),
    ("archive_layout", "folder", "string", "processing",
     "Archive layout: folder (files at the archive's root) or bagit (a BagIt bag, files under data/)"),
    ("copyright_text", COPYRIGHT_DEFAULT, "string", "metadata", "Copyright text for metadata"),
    ("artist_name", "Yambo Studio", "string", "metadata",
     "Artist / creator written into every file's metadata (EXIF Artist, XMP dc:creator)"),
    ("parallel_workers", "4", "integer", "performance", "Number of parallel processing workers"),
    ("gpu_enabled", "1", "boolean", "performance", "Enable GPU acceleration when available"),
    ("cache_thumbnails", "1", "boolean", "performance", "Cache scene thumbnails"),
    ("max_resume_age_days", "7", "integer", "behavior", "Maximum age for resumable sessions"),
    ("log_level", "INFO", "string", "system", "Logging level (DEBUG, INFO, WARNING, ERROR)"),
    ("ui_theme", "default", "string", "interface", "User interface theme"),
    # The design stores '' here, which is not JSON; 'null' means "no saved geometry".
    ("window_geometry", "null", "json", "interface", "Main window size and position"),
    ("ffmpeg_path", "", "string", "paths",
     "ffmpeg binary to use; empty = VIDEO_ARCHIVE_FFMPEG, then PATH, then imageio-ffmpeg"),
    ("db_version", f"{VERSION}.0", "string", "system",
     "Schema version of this database (kept equal to PRAGMA user_version)"),
]


_DESCRIPTIONS = {key: description for key, _v, _t, _c, description in DEFAULT_SETTINGS}


def db_version_text(version: int) -> str:
    """The db_version setting in the design's own format ('1.0', '2.0')."""
    return f"{version}.0"


def insert_default_settings(db) -> int:
    """Add the default rows that are missing; never overwrite a value the user chose."""
    added = 0
    for key, value, value_type, category, description in DEFAULT_SETTINGS:
        added += db.execute(
            "INSERT OR IGNORE INTO app_settings (key, value, value_type, category, description) "
            "VALUES (?, ?, ?, ?, ?)", (key, value, value_type, category, description))
    return added


def create_views_and_triggers(db) -> None:
    """(Re)create every view and trigger from the definitions above."""
    for name in VIEWS:
        db.execute(f"DROP VIEW IF EXISTS {name}")
    for name in TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    for sql in VIEWS.values():
        db.execute(sql)
    for sql in TRIGGERS.values():
        db.execute(sql)


def create_indexes(db) -> None:
    for _table, sql in INDEXES.values():
        db.execute(sql.replace("INDEX ", "INDEX IF NOT EXISTS ", 1))


def create(db) -> None:
    """Build the whole current schema in an empty database, in one transaction."""
    with db.transaction():
        for sql in TABLES.values():
            db.execute(sql)
        create_indexes(db)
        create_views_and_triggers(db)
        insert_default_settings(db)
        set_version(db, VERSION)


def set_version(db, version: int) -> None:
    """PRAGMA user_version and the db_version setting always change together."""
    db.execute(f"PRAGMA user_version = {int(version)}")
    db.execute("INSERT INTO app_settings (key, value, value_type, category, description) "
               "VALUES ('db_version', ?, 'string', 'system', ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
               "modified_at = CURRENT_TIMESTAMP",
               (db_version_text(version), _DESCRIPTIONS["db_version"]))


def normalized_sql(sql: str | None) -> str:
    """Schema text with comments, quotes and spacing removed, for comparing a database's
    sqlite_master with the definitions above (ALTER TABLE may re-quote names)."""
    if not sql:
        return ""
    text = re.sub(r"--[^\n]*", " ", sql)
    text = text.replace('"', "")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s*([(),])\s*", r"\1", text)


def expected_objects() -> dict[tuple[str, str], str]:
    """(type, name) -> normalized SQL of every object the current schema defines."""
    objects = {("table", name): normalized_sql(sql) for name, sql in TABLES.items()}
    objects.update({("index", name): normalized_sql(sql) for name, (_t, sql) in INDEXES.items()})
    objects.update({("view", name): normalized_sql(sql) for name, sql in VIEWS.items()})
    objects.update({("trigger", name): normalized_sql(sql) for name, sql in TRIGGERS.items()})
    return objects
