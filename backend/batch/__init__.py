"""`video-archive batch`: many masters, on this machine or a Ray cluster (docs/batch.md)."""
