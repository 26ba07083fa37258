"""Read your writes as the history checker judges it (demos/session_checks.py): every comment
written with its 202, and each read either pane was served or pushed, for which session. Both
panes against read-your-writes: the trick keeps it; the naive pane's "where is my comment?" is
the checker's finding, a read that missed its session's own acknowledged write."""

from demos.session_checks import checked, quote


def missing_own(read, missed, context, writes) -> str:
    after = read.invoke - missed.complete
    return (
        f"where is my comment? {quote(missed)} missing from session {read.session}'s read "
        f"{after:.1f} s after its write was answered 202"
    )


CHECKED = tuple(
    checked(pane, label, "reads its own writes", "read-your-writes", missing_own, "does not read its own writes")
    for pane, label in (("naive", "Naive"), ("trick", "Trick"))
)
