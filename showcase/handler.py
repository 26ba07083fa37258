"""Django's ASGI handler with its middleware chain and view run in one hop to a thread.

Under ASGI Django builds the chain for async: its innermost step, `_get_response_async`, runs on
the event loop, so a chain of sync middleware (showcase/middleware.py) hops from the loop to the
request's thread, back to the loop for that step, to the thread again for CSRF's `process_view`
and once more for the sync view: four round trips a request. Built for sync instead, as under
WSGI, the whole chain and the view run in the request's thread, entered once. Nothing else
changes: the request is read, started, answered and closed by Django's ASGIHandler, on the loop,
and an async view (a write that waits for a majority, a read that waits for a token) is awaited on
the loop by Django's own `async_to_sync`, its request's thread waiting beside it.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        if is_async:
            self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)


def get_asgi_application() -> SyncChainASGIHandler:
    """As django.core.asgi.get_asgi_application, with this handler."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
