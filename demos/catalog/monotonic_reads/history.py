"""Monotonic reads as the history checker judges it (demos/session_checks.py): every comment
written with its 202, and each read either pane served a page, what it showed and when. Both
panes against monotonic reads, per page: the trick keeps it; the naive pane's "went back in time"
is the checker's finding, a read missing a comment an earlier read of the same page showed."""

from demos.session_checks import checked, quote


def per_page(op: dict) -> str:
    return f"{op['s']}/{op.get('page') or '?'}"


def went_back(read, missed, earlier, writes) -> str:
    return (
        f"{quote(missed)}, shown by page {read.session}'s read at "
        f"{earlier.complete:.1f} s, missing from its read at {read.invoke:.1f} s"
    )


CHECKED = tuple(
    checked(pane, label, "never goes back in time", "monotonic-reads", went_back, "went back in time", per_page)
    for pane, label in (("naive", "Naive"), ("trick", "Trick"))
)
