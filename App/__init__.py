"""The desktop shell: the editor page in a pywebview window (App/shell.py)."""
