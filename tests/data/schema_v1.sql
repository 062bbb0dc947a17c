-- The state.db schema v1.0 exactly as written in the design (state-db-design.md, sections 2-4),
-- mojibake copyright default included. Tests build a v1.0 database from it and migrate it.

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
);

CREATE INDEX idx_session_status ON processing_state(status);
CREATE INDEX idx_session_date ON processing_state(created_at);

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
);

CREATE INDEX idx_operation_session ON operation_log(session_id);
CREATE INDEX idx_operation_status ON operation_log(status);

CREATE TABLE user_presets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    preset_id TEXT UNIQUE NOT NULL,
    preset_name TEXT NOT NULL,

    -- Preset configuration
    base_preset TEXT,  -- ID of built-in preset this is based on
    is_default BOOLEAN DEFAULT 0,

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
);

CREATE INDEX idx_preset_name ON user_presets(preset_name);
CREATE INDEX idx_preset_default ON user_presets(is_default);

CREATE TABLE project_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT UNIQUE NOT NULL,

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
    gpu_accelerated BOOLEAN,
    average_fps_processed REAL,

    -- Quality metrics
    preset_used TEXT,
    encoder_used TEXT,

    -- Completion status
    completed_successfully BOOLEAN,
    completion_notes TEXT,

    -- Timestamps
    started_at TIMESTAMP,
    completed_at TIMESTAMP,

    -- Additional data
    metadata TEXT,  -- JSON for extensibility

    FOREIGN KEY (session_id) REFERENCES processing_state(session_id)
);

CREATE INDEX idx_history_artwork ON project_history(artwork_name);
CREATE INDEX idx_history_date ON project_history(completed_at);

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
    has_metadata BOOLEAN DEFAULT 1,
    metadata_embedded TEXT,  -- JSON of embedded metadata

    -- Status
    file_exists BOOLEAN DEFAULT 1,
    verified BOOLEAN DEFAULT 0,

    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (session_id) REFERENCES processing_state(session_id)
);

CREATE INDEX idx_file_session ON file_registry(session_id);
CREATE INDEX idx_file_type ON file_registry(file_type);
CREATE INDEX idx_file_path ON file_registry(file_path);

CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    value_type TEXT DEFAULT 'string',  -- string, integer, real, boolean, json
    category TEXT DEFAULT 'general',
    description TEXT,
    modified_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Insert default settings
INSERT INTO app_settings (key, value, value_type, category, description) VALUES
    ('app_version', '1.0.0', 'string', 'system', 'Application version'),
    ('last_output_directory', '', 'string', 'paths', 'Last used output directory'),
    ('last_master_directory', '', 'string', 'paths', 'Last directory for master files'),
    ('last_rd_directory', '', 'string', 'paths', 'Last directory for R&D files'),
    ('default_preset', 'webflow_standard', 'string', 'presets', 'Default compression preset'),
    ('scene_threshold_default', '30', 'real', 'processing', 'Default scene detection threshold'),
    ('min_scene_length_default', '15', 'integer', 'processing', 'Default minimum scene length in frames'),
    ('encoder_preference', 'x264', 'string', 'encoding', 'Preferred encoder (x264 or nvenc)'),
    ('auto_open_output', '1', 'boolean', 'behavior', 'Automatically open output folder on completion'),
    ('generate_log', '1', 'boolean', 'behavior', 'Generate process log file'),
    ('extract_midpoint_stills', '1', 'boolean', 'processing', 'Extract stills from scene midpoints'),
    ('copyright_text', 'Â© Yambo Studio', 'string', 'metadata', 'Copyright text for metadata'),
    ('parallel_workers', '4', 'integer', 'performance', 'Number of parallel processing workers'),
    ('gpu_enabled', '1', 'boolean', 'performance', 'Enable GPU acceleration when available'),
    ('cache_thumbnails', '1', 'boolean', 'performance', 'Cache scene thumbnails'),
    ('max_resume_age_days', '7', 'integer', 'behavior', 'Maximum age for resumable sessions'),
    ('log_level', 'INFO', 'string', 'system', 'Logging level (DEBUG, INFO, WARNING, ERROR)'),
    ('ui_theme', 'default', 'string', 'interface', 'User interface theme'),
    ('window_geometry', '', 'json', 'interface', 'Main window size and position');

CREATE VIEW active_sessions AS
SELECT
    session_id,
    artwork_name,
    status,
    ROUND(CAST(completed_operations AS REAL) / total_operations * 100, 1) as progress_percent,
    current_operation,
    updated_at
FROM processing_state
WHERE status IN ('initialized', 'processing', 'paused')
ORDER BY updated_at DESC;

CREATE VIEW project_statistics AS
SELECT
    COUNT(*) as total_projects,
    COUNT(CASE WHEN completed_successfully = 1 THEN 1 END) as successful_projects,
    AVG(total_processing_time_seconds) as avg_processing_time,
    SUM(total_files_created) as total_files_created,
    SUM(total_output_size_mb) as total_output_size_mb,
    AVG(compression_ratio) as avg_compression_ratio
FROM project_history
WHERE completed_at >= datetime('now', '-30 days');

CREATE TRIGGER update_processing_state_timestamp
AFTER UPDATE ON processing_state
BEGIN
    UPDATE processing_state
    SET updated_at = CURRENT_TIMESTAMP
    WHERE id = NEW.id;
END;

CREATE TRIGGER track_preset_usage
AFTER INSERT ON processing_state
BEGIN
    UPDATE user_presets
    SET usage_count = usage_count + 1,
        last_used_at = CURRENT_TIMESTAMP
    WHERE preset_id = NEW.preset_id;
END;

CREATE TRIGGER complete_session
AFTER UPDATE OF status ON processing_state
WHEN NEW.status = 'completed'
BEGIN
    UPDATE processing_state
    SET completed_at = CURRENT_TIMESTAMP
    WHERE id = NEW.id;
END;
