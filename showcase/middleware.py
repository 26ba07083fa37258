"""Django's middleware, run as one synchronous chain in the request's thread.

Django's own middleware is async-capable through `MiddlewareMixin`, which under ASGI runs every
`process_request` and `process_response` in the request's thread and back on the event loop:
two thread hops per middleware, 16 a request here, about 4 ms of a write's CPU. The same
classes marked sync-only run as one chain: Django's `load_middleware` adapts its two ends, one
hop in and one out. The views are sync, so they lose nothing. An async view (a write that waits
for a majority, a read that waits for a token) still awaits on the event loop, with its
request's thread waiting beside it for as long as its wait is bounded (store/quorum.py,
demos/reads.py).
"""

from csp.middleware import CSPMiddleware
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware


def _sync_only(middleware: type) -> type:
    return type(middleware.__name__, (middleware,), {"async_capable": False, "__module__": __name__})


Security = _sync_only(SecurityMiddleware)
Session = _sync_only(SessionMiddleware)
Common = _sync_only(CommonMiddleware)
Csrf = _sync_only(CsrfViewMiddleware)
Authentication = _sync_only(AuthenticationMiddleware)
Message = _sync_only(MessageMiddleware)
XFrameOptions = _sync_only(XFrameOptionsMiddleware)
CSP = _sync_only(CSPMiddleware)
