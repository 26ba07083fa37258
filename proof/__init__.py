"""The app side of the history checker: `manage.py check_history` (the checker itself is `checker/`)."""
