import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")

from showcase.handler import get_asgi_application  # noqa: E402

# Set up Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.urls import path  # noqa: E402

from push.consumers import LiveConsumer  # noqa: E402
from showcase.health import edge  # noqa: E402
from showcase.static import CachingStaticFilesHandler  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Static files come from the app server itself: one process, nothing else to run; by
        # versioned URL, cached a year (showcase/static.py).
        "http": edge(CachingStaticFilesHandler(django_asgi_app)),
        # The cookie parsed, no session loaded: a socket knows who it is without the database
        # (push/tickets.py).
        "websocket": AllowedHostsOriginValidator(
            CookieMiddleware(URLRouter([path("ws/live/", LiveConsumer.as_asgi())]))
        ),
    }
)
