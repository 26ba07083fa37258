"""A read one page made that the other pages of its demo show too.

Baseball's six readers read every 500 ms while a game is unsettled; a room of phones each
reading for itself would ask the server twelve reads a second per phone. The page that played
the game shares its reads instead: the demo announces each (`read_shared`) and the push layer
sends it to the demo's group (push/apps.py), one publish for the whole room.
"""

from django.dispatch import Signal

from store.signals import announce

# kwargs: stream, html (an out-of-band fragment the demo's pages hold a place for).
read_shared = Signal()


def share(stream: str, html: str) -> None:
    announce(read_shared, stream=stream, html=html)
