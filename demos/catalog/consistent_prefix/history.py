"""Consistent prefix as the history checker judges it (demos/session_checks.py): every post
written with its place in the log, and each thread either pane was served or pushed, in the order
it showed the posts. Both panes against consistent prefix: the trick keeps it; the naive pane's
answer before its question is the checker's finding, a thread that is not a prefix of the log."""

from demos.session_checks import checked, quote, reader


def out_of_order(read, missed, context, writes) -> str:
    later = next((w for w in read.seen if writes[w].position > missed.position), None)
    shown = "a later post" if later is None else quote(writes[later])
    if missed.write in read.seen:
        return f"{shown} shown ahead of {quote(missed)}, which the log has first, in {reader(read, 'thread')}"
    return f"{shown} shown without {quote(missed)}, which the log has before it, in {reader(read, 'thread')}"


CHECKED = tuple(
    checked(pane, label, "a prefix of the log", "consistent-prefix", out_of_order, "not a prefix of the log")
    for pane, label in (("naive", "Naive"), ("trick", "Trick"))
)
