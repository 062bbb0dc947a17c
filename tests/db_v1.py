"""A state.db as the design's v1.0 SQL creates it (tests/data/schema_v1.sql, verbatim), filled
with the kind of data the design's own code leaves behind, for the migration tests."""

from pathlib import Path

import apsw

V1_SQL = Path(__file__).parent / "data" / "schema_v1.sql"

SCENES = ('[{"number": 1, "start_frame": 0, "end_frame": 49, "start_time": 0.0, "end_time": 2.0},'
          ' {"number": 2, "start_frame": 50, "end_frame": 99, "start_time": 2.0, "end_time": 4.0}]')


def make_v1_db(path: Path, *, with_data: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = apsw.Connection(str(path))
    conn.execute(V1_SQL.read_text(encoding="utf-8"))
    if with_data:
        conn.execute(DATA)
    conn.close()
    return path


# Foreign keys are off by default in SQLite, so the v1.0 cleanup could delete session 's-gone'
# and leave its log, files and history behind; that is what is recreated here.
DATA = f"""
INSERT INTO user_presets (preset_id, preset_name, is_default, stills_hq_settings,
    stills_web_settings, video_settings, usage_count, created_at, modified_at)
VALUES ('custom_a', 'Custom A', 'true', '{{"q": 95}}', '{{"q": 80}}', '{{"crf": 18}}', NULL,
        '2024-11-01 10:00:00', '2024-11-01 10:00:00'),
       ('custom_b', 'Custom B', 0, '{{}}', '{{}}', '{{}}', 3,
        '2024-11-02 10:00:00', '2024-11-02 10:00:00');

INSERT INTO processing_state (session_id, artwork_name, project_date, master_path, rd_folder_path,
    output_path, preset_id, custom_settings, total_operations, completed_operations,
    current_operation, scenes_data, selected_scenes, grouped_scenes, status, created_at,
    updated_at, completed_at, process_metadata)
VALUES ('s-done', 'Dune', '24-11-03', '/m/dune.mov', NULL, '/out', 'custom_a', NULL, 2, 2, NULL,
        '{SCENES}', '[1, 2]', '{{"intro": [1]}}', 'completed', '2024-11-03 09:00:00',
        '2024-11-03 10:00:00', '2024-11-03 10:00:00', '{{"tool": "v1"}}'),
       ('s-paused', 'Tide', '24-11-04', '/m/tide.mov', '/rd', '/out', 'custom_b', '{{"crf": 20}}',
        3, 7, 'clip_export', NULL, NULL, NULL, 'paused', '2024-11-04 09:00:00',
        '2024-11-04 09:30:00', NULL, NULL);

-- s-paused: the design's save_state could only have written rows with explicit numbers; one
-- number repeats, and its "completed" count (7) was never true.
INSERT INTO operation_log (session_id, operation_type, operation_name, sequence_number, status,
    progress, output_files, timestamp)
VALUES ('s-done', 'scene_detection', 'detect', 1, 'completed', 1.0, '[]', '2024-11-03 09:10:00'),
       ('s-done', 'clip_export', 'clip 1', 2, 'completed', 1.0, '["clips/1.mp4"]',
        '2024-11-03 09:20:00'),
       ('s-paused', 'scene_detection', 'detect', 1, 'completed', 1.0, NULL, '2024-11-04 09:10:00'),
       ('s-paused', 'clip_export', 'clip 1', 2, 'failed', 0.4, NULL, '2024-11-04 09:20:00'),
       ('s-paused', 'clip_export', 'clip 1 again', 2, 'pending', 0.0, NULL, '2024-11-04 09:25:00'),
       ('s-gone', 'scene_detection', 'detect', 1, 'completed', 1.0, NULL, '2024-09-01 09:00:00');

INSERT INTO file_registry (session_id, file_path, file_type, file_category, file_size_bytes,
    has_metadata, file_exists, verified, compression_settings, created_at)
VALUES ('s-done', '/out/clips/1.mp4', 'clip', 'clips', 1000, 1, 1, 'yes', '{{"crf": 18}}',
        '2024-11-03 09:20:00'),
       ('s-paused', '/out/clips/1.mp4', 'clip', 'clips', 10, 'true', 1, 0, NULL,
        '2024-11-04 09:20:00'),
       ('s-paused', '/out/clips/1.mp4', 'clip', 'clips', 20, 'TRUE', 'false', 0, NULL,
        '2024-11-04 09:25:00'),
       ('s-gone', '/old/clip.mp4', 'clip', 'clips', 5, 1, 1, 0, NULL, '2024-09-01 09:00:00');

INSERT INTO project_history (session_id, artwork_name, project_date, output_path, master_filename,
    scenes_detected, total_files_created, total_output_size_mb, gpu_accelerated,
    completed_successfully, preset_used, started_at, completed_at, metadata)
VALUES ('s-done', 'Dune', '24-11-03', '/out', 'dune.mov', 2, 3, 12.5, 'yes', 1, 'custom_a',
        '2024-11-03 09:00:00', '2024-11-03 10:00:00', '{{"notes": "first"}}'),
       ('s-gone', 'Old', '24-09-01', '/old', 'old.mov', 1, 1, 1.0, 0, 'true', 'custom_b',
        '2024-09-01 08:00:00', '2024-09-01 09:30:00', NULL);

UPDATE app_settings SET value = '8' WHERE key = 'parallel_workers';
"""
