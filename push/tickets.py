"""Who a socket is, without the database: its session key from the cookie, its staff rights from
a ticket the page was rendered with.

A socket's connect used to load its session and user through Channels' Session and Auth
middleware, each a hop into the one database thread of a web process; a room following the
projector is a thousand sockets closing and opening at once, queued one by one in that thread
(bench/report.md, "What limits 1,000 phones"). What a socket needs is two facts:

- its session key, to join its own group (what only the writer's pages show): the cookie holds
  it. A cookie that names no session joins a group nobody pushes to; naming someone else's
  session means holding their cookie already.
- whether it is staff (the control group; not counted in the room): a staff page puts a ticket
  in its socket's URL, the session key signed with the app's secret. Forged or copied to another
  session, it does not verify; the staff session ends at logout, its key with it.
"""

from django.conf import settings
from django.core import signing

SALT = "push.socket.staff"
MAX_AGE_S = 7 * 24 * 3600  # a projector's page can stay open through a conference


def session_key(scope: dict) -> str:
    """The session key the socket's cookie carries, '' without one (CookieMiddleware parsed it)."""
    return scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME, "")


def staff_ticket(session_key: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(session_key)


def is_staff(ticket: str, session_key: str) -> bool:
    if not ticket or not session_key:
        return False
    try:
        return signing.TimestampSigner(salt=SALT).unsign(ticket, max_age=MAX_AGE_S) == session_key
    except signing.BadSignature:
        return False
