"""Follow the presenter, the conference side: who follows, who leads, and leaving.

A phone that joins through /join/ follows (its session says so); the projector, a staff session
in presenter mode, announces each page of the talk it shows (static/showcase/follow.js posts
here) and push/follow.py tells the following phones. A phone can leave and browse on its own;
/join/ again follows again.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from push import follow

from . import page_cache
from .templatetags.conference import walk

SESSION_KEY = "follow"


def following(request: HttpRequest) -> bool | None:
    """True following, False left, None never joined."""
    return request.session.get(SESSION_KEY)


def join(request: HttpRequest) -> None:
    """Joining the room through /join/ follows the projector; the projector itself does not."""
    if not request.user.is_staff:
        request.session[SESSION_KEY] = True


@require_POST
def lead(request):
    """The projector shows this page now: a page of the talk's walk, else nothing changes.

    Staff only; the page posts only in presenter mode (its own class, from the session: asking
    the session here would race the post that turns the mode on)."""
    if not (request.user.is_active and request.user.is_staff):
        return HttpResponse("Only the presenter's screen leads.", status=403, content_type="text/plain")
    path = request.POST.get("path", "")
    if path in walk() and follow.moves(path):
        # Rendered once for the whole room, and pushed with the news (push/follow.py).
        pushed = page_cache.for_followers(request, path)
        follow.lead(path, *(pushed or ()))
    return HttpResponse(status=204)


def stop(request: HttpRequest) -> None:
    """Presenter mode off on the projector: phones stay where they are."""
    if request.user.is_active and request.user.is_staff:
        follow.stop()


@require_POST
def leave(request):
    """This phone browses on its own from now on."""
    if following(request):
        request.session[SESSION_KEY] = False
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("index")
