"""What the demos announce, for the push layer above them (push/apps.py connects it)."""

from django.dispatch import Signal

from store.signals import announce

__all__ = ["announce", "judged"]

# A run of a demo was judged: its panes' verdicts changed. kwargs: slug.
judged = Signal()
