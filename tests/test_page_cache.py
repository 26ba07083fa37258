"""A room following the projector shares one render of a demo page (conference/page_cache.py):
each phone that has written nothing gets it with its own CSRF token and its own form keys; a
phone that wrote, a stranger who never joined, and staff get a page rendered for them alone."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conference import page_cache

pytestmark = pytest.mark.django_db

PAGE = "/demos/conflicts/"  # its shop carries the read's own time: one render, one time
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
KEYS = re.compile(r'name="key" value="([0-9a-f]{32})"')
AS_OF = re.compile(r'data-as-of="(\d+)"')
ACTION = re.compile(r'<form id="write-form"[^>]*action="([^"]+)"')


@pytest.fixture(autouse=True)
def _long_lived(monkeypatch):
    monkeypatch.setattr(page_cache, "TTL_S", 3600)  # no test depends on how fast it runs


class Room:
    """Several phones through one server process (one cache), each with its own cookies."""

    def __init__(self):
        self.client = Client(enforce_csrf_checks=True)
        self.jars: dict[str, dict] = {}

    def as_phone(self, name: str) -> Client:
        self.client.cookies.clear()
        for key, value in self.jars.get(name, {}).items():
            self.client.cookies[key] = value
        return self.client

    def keep(self, name: str) -> None:
        self.jars[name] = {key: morsel.value for key, morsel in self.client.cookies.items()}

    def join(self, name: str) -> None:
        assert self.as_phone(name).get("/join/").status_code == 200
        self.keep(name)

    def page(self, name: str, path: str = PAGE) -> str:
        response = self.as_phone(name).get(path)
        self.keep(name)
        assert response.status_code == 200
        return response.content.decode()


def same_but_token_and_keys(a: str, b: str) -> bool:
    def blank(page: str) -> str:
        return KEYS.sub('name="key" value=""', TOKEN.sub('"X-CSRFToken": ""', page)).replace(
            TOKEN.search(page).group(1), ""
        )

    return blank(a) == blank(b)


def test_phones_that_joined_share_one_render_each_with_its_own_token_and_keys():
    room = Room()
    room.join("ann")
    room.join("bob")
    ann, bob = room.page("ann"), room.page("bob")
    assert AS_OF.search(ann).group(1) == AS_OF.search(bob).group(1)  # rendered once
    assert same_but_token_and_keys(ann, bob)
    assert TOKEN.search(ann).group(1) != TOKEN.search(bob).group(1)
    assert not set(KEYS.findall(ann)) & set(KEYS.findall(bob))


def test_a_phone_served_the_shared_page_writes_with_its_token_and_key():
    room = Room()
    room.join("ann")
    room.join("bob")
    room.page("ann", "/demos/push/")
    bob = room.page("bob", "/demos/push/")
    client = room.as_phone("bob")
    data = {
        "csrfmiddlewaretoken": TOKEN.search(bob).group(1),
        "key": KEYS.search(bob).group(1),
        "text": "from the shared page",
    }
    assert client.post(ACTION.search(bob).group(1), data, HTTP_HX_REQUEST="true").status_code == 202


def write_on(room: Room, name: str, page: str, action: str | None = None) -> None:
    """`name` writes through the form of `page` (or posts it to `action`)."""
    shown = room.page(name, page)
    client = room.as_phone(name)
    data = {"csrfmiddlewaretoken": TOKEN.search(shown).group(1), "key": KEYS.search(shown).group(1), "text": "mine"}
    assert client.post(action or ACTION.search(shown).group(1), data, HTTP_HX_REQUEST="true").status_code == 202
    room.keep(name)


def rendered_for(room: Room, name: str, path: str) -> bool:
    """Whether `name`'s page was rendered for it (not answered from the shared render)."""
    response = room.as_phone(name).get(path)
    room.keep(name)
    assert response.status_code == 200
    return bool(response.templates)


def test_a_phone_that_wrote_on_a_demo_page_gets_that_page_of_its_own_and_shares_the_others():
    """The other pages of the talk too: the index, and the curtain, which marks no write as anyone's."""
    room = Room()
    for name in ("ann", "bob"):
        room.join(name)
    for path in (PAGE, "/demos/push/", "/curtain/", "/"):
        assert rendered_for(room, "ann", path)  # the first render, kept for the room
    assert not rendered_for(room, "bob", "/demos/push/")
    assert not rendered_for(room, "bob", "/curtain/")
    write_on(room, "bob", "/demos/push/")
    # Its own writes show on the push demo's page alone: that page is rendered for it, the others are shared.
    assert rendered_for(room, "bob", "/demos/push/")
    for path in (PAGE, "/curtain/", "/"):
        assert not rendered_for(room, "bob", path)
    assert not rendered_for(room, "ann", "/demos/push/")


def test_a_phone_that_posted_off_the_demo_pages_a_stranger_and_staff_get_pages_of_their_own():
    room = Room()
    for name in ("ann", "bob"):
        room.join(name)
    shared = AS_OF.search(room.page("ann")).group(1)
    assert rendered_for(room, "ann", "/curtain/")
    assert not rendered_for(room, "bob", "/curtain/")
    write_on(room, "bob", "/demos/push/", action="/write/conflicts/")  # the curtain's form, any stream
    assert AS_OF.search(room.page("bob")).group(1) != shared
    assert rendered_for(room, "bob", "/curtain/")
    assert AS_OF.search(room.page("stranger")).group(1) != shared  # never joined: does not follow
    staff = room.as_phone("staff")
    staff.force_login(get_user_model().objects.create_user("p", password="x", is_staff=True))
    room.keep("staff")
    assert AS_OF.search(room.page("staff")).group(1) != shared


def test_a_room_arriving_while_the_page_renders_waits_for_that_one_render(monkeypatch):
    """Hundreds of phones asking for a page nobody has rendered yet (or whose render is older
    than TTL_S) are one render: the others wait for it, or get the last one while it is fresh
    enough (STALE_S)."""
    import threading
    import time

    from django.http import HttpResponse
    from django.test import RequestFactory

    monkeypatch.setattr(page_cache, "TTL_S", 1.0)
    renders: list[int] = []
    release = threading.Event()

    def render(request):
        renders.append(1)
        release.wait(5)
        body = f'<body hx-headers=\'{{"X-CSRFToken": "t{len(renders)}"}}\'>render {len(renders)}</body>'
        return HttpResponse(body)

    cache = page_cache.FollowerPageCache(render)
    monkeypatch.setattr(cache, "variant", lambda request: "follower")

    def room(size: int) -> list[str]:
        answers: list[str] = []
        phones = [
            threading.Thread(target=lambda: answers.append(cache(RequestFactory().get(PAGE)).content.decode()))
            for _ in range(size)
        ]
        for phone in phones:
            phone.start()
        deadline = time.monotonic() + 5
        while not renders and time.monotonic() < deadline:
            time.sleep(0.01)  # the first render has begun; the rest of the room is asking now
        release.set()
        for phone in phones:
            phone.join(10)
        release.clear()
        return answers

    first = room(20)
    assert len(renders) == 1, "every phone that came while the page rendered rendered it again"
    assert len(first) == 20 and all("render 1" in a for a in first)

    cache.pages[(PAGE, "follower")].rendered -= page_cache.TTL_S  # older than TTL_S, fresher than STALE_S
    second = room(20)
    assert len(renders) == 2
    assert sum("render 2" in a for a in second) >= 1 and all("render" in a for a in second)


def test_the_page_pushed_to_the_room_is_rendered_at_the_counts_it_carries():
    """The page rendered for the room when the projector moves (push/follow.py) carries every
    group's count read before it was rendered (push/sent.py): so it is rendered then, never
    taken from the cache, or a moved socket would skip a snapshot the page is older than."""
    from django.test import RequestFactory

    from demos.groups import CURTAIN, stream_group
    from push import sent

    request = RequestFactory().post("/follow/lead/")
    first = page_cache.for_followers(request, PAGE)
    sent.advance(CURTAIN)
    second = page_cache.for_followers(request, PAGE)
    assert AS_OF.search(first.page).group(1) != AS_OF.search(second.page).group(1)  # two renders
    assert {CURTAIN, stream_group("conflicts")} <= set(first.drawn)
    assert first.drawn[CURTAIN] != second.drawn[CURTAIN] == sent.of(CURTAIN)
    assert page_cache.TOKEN_MARK in first.page
    assert page_cache.for_followers(request, "/control/") is None  # not a page of the talk
