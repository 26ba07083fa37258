"""Static files a room fetches once: versioned URLs, cached for a year.

The app server serves its static files itself from the finders (showcase/asgi.py: one process,
nothing else to run, no collectstatic step at a venue). Django's handler sends Last-Modified and
no Cache-Control, so Chromium asks for every script and stylesheet again on every page load: a
room of phones following the projector made ten requests each per page. Here each `{% static %}`
URL carries a digest of the file's content (`app.js?v=1a2b3c4d5e`), and a request that names the
current digest is answered with a year's `max-age` and `immutable`: a followed page costs its
HTML alone. A changed file gets a new digest, so a new URL; a request without one (or with an old
one) is revalidated as before. A query string and not a hashed file name (ManifestStaticFilesStorage)
because that needs collectstatic before every start and serves from STATIC_ROOT, where the
finders serve the files as they are in the tree.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from urllib.parse import parse_qs

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.contrib.staticfiles.storage import StaticFilesStorage

YEAR_S = 365 * 24 * 3600


@cache
def _digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:10]


@cache
def _found(name: str) -> str | None:
    """Where the finders find `name`: looked up once (every page's {% static %} tags ask, and
    the finders try each app's and each demo folder's static directory in turn)."""
    return finders.find(name)


def digest(name: str) -> str | None:
    """The content digest of static file `name`; None if no finder has it. Keyed by modification
    time and size, so an edited file gets its new digest at once."""
    path = _found(name)
    if not path:
        return None
    stat = os.stat(path)
    return _digest(path, stat.st_mtime_ns, stat.st_size)


class VersionedStaticFilesStorage(StaticFilesStorage):
    def url(self, name: str | None) -> str:
        url = super().url(name)
        version = digest(name) if name else None
        return f"{url}?v={version}" if version else url


class CachingStaticFilesHandler(ASGIStaticFilesHandler):
    """Django's static handler; a file asked for by its current digest is fresh for a year."""

    async def get_response_async(self, request):
        response = await super().get_response_async(request)
        if response.status_code == 200:
            asked = parse_qs(request.META.get("QUERY_STRING", "")).get("v", [""])[0]
            if asked and asked == digest(self.file_path(request.path)):
                response["Cache-Control"] = f"public, max-age={YEAR_S}, immutable"
            else:
                response["Cache-Control"] = "no-cache"
        return response
