"""Monotonic writes as the history checker judges it (demos/session_checks.py): every change
written with its 202, and each listing either pane was served or pushed, with the writes it had
applied (a write the trick holds back is not applied). Both panes against monotonic writes: the
trick keeps it; the naive pane's "publish" before its "price 40" is the checker's finding, a
listing that applied a session's write without the one the session wrote before it."""

from demos.session_checks import checked, quote, reader


def overtaken(read, missed, later, writes) -> str:
    listing = reader(read, "listing")
    return f"{quote(later)} applied without {quote(missed)}, which its session wrote first, in {listing}"


CHECKED = tuple(
    checked(pane, label, "in each session's order", "monotonic-writes", overtaken, "out of its session's order")
    for pane, label in (("naive", "Naive"), ("trick", "Trick"))
)
