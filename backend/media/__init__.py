"""The media toolchain: ffmpeg, probing, encoders, ingest, stills, metadata. No database here."""
