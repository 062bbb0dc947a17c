"""The archive as a lasting object: its layout on disk (plain folder or BagIt bag), the bag's tag
files, checking an archive years later (`verify`), the editorial interchange files and the
offline contact sheet. No database here: everything works from the archive folder alone."""
