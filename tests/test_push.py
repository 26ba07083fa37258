"""The websocket consumer over the real Redis channel layer."""

import asyncio
import html
import json
import threading
import time
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import path

from demos import seen
from demos.groups import session_group
from push import channel, room, sent, snapshots, tickets, watchers
from push.consumers import LiveConsumer
from showcase.redis_client import async_redis_client, redis_client
from store import lag, projector, signals
from store.data import ensure_replicas
from store.models import Event, LagSettings
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

app = AllowedHostsOriginValidator(URLRouter([path("ws/live/", LiveConsumer.as_asgi())]))


def communicator(query: str = "g=curtain", origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    return WebsocketCommunicator(app, f"/ws/live/?{query}", headers=[(b"origin", origin)])


async def receive_until(comm: WebsocketCommunicator, needle: str, timeout: float = 3) -> str:
    while True:
        message = await comm.receive_from(timeout=timeout)
        if needle in message:
            return message


def test_connect_sends_a_snapshot_of_each_group():
    ensure_replicas()
    factories.write("already there")

    async def run():
        comm = communicator()
        connected, _ = await comm.connect()
        assert connected
        badge = await comm.receive_from()
        assert "data-lag-badge" in badge and 'hx-swap-oob="true"' in badge
        curtain = await receive_until(comm, 'id="event-log"')
        assert "already there" in curtain and 'id="replica-fast"' in curtain
        await comm.disconnect()

    async_to_sync(run)()


def test_a_socket_watches_the_groups_it_joined_until_it_closes():
    ensure_replicas()
    # Sockets of earlier tests that never said goodbye still count until they age out.
    redis_client().delete("watch:curtain", "watch:timeline.push", "watch:lag")

    async def run():
        comm = communicator("g=curtain&g=timeline.push&g=nonsense")
        await comm.connect()
        await receive_until(comm, 'id="event-log"')
        watching = await sync_to_async(watchers.watched)(["curtain", "timeline.push", "lag", "nonsense", "room"])
        await comm.disconnect()
        after = await sync_to_async(watchers.watched)(["curtain", "timeline.push", "lag"])
        return watching, after

    watching, after = async_to_sync(run)()
    assert watching == {"curtain", "timeline.push", "lag"}
    assert after == set()


def test_a_lag_change_in_the_store_reaches_the_socket_through_redis():
    ensure_replicas()

    async def run():
        comm = communicator()
        await comm.connect()
        await receive_until(comm, 'id="event-log"')
        await database_sync(lag.update, {"delay_ms": 2500})
        pushed = await receive_until(comm, "data-lag-badge")
        assert "2.5 s" in pushed
        await comm.disconnect()

    async_to_sync(run)()


def test_pushed_fragments_escape_users_text():
    ensure_replicas()
    event = factories.write('<img src=x onerror=alert(1)> <div hx-get="/admin/" hx-trigger="load">')

    async def run():
        comm = communicator()
        await comm.connect()
        await receive_until(comm, 'id="event-log"')
        settled = await database_sync(projector.apply, "fast", event.pk)
        await database_sync(signals.announce, signals.settled, replica="fast", deliveries=settled)
        pushed = await receive_until(comm, 'id="replica-fast"')
        assert "<img src=x" not in pushed and '<div hx-get="/admin/"' not in pushed
        assert "&lt;img src=x onerror=alert(1)&gt;" in pushed
        await comm.disconnect()

    async_to_sync(run)()


def test_unknown_groups_are_ignored_and_only_the_badge_is_sent():
    async def run():
        comm = communicator("g=secret-admin-stuff")
        connected, _ = await comm.connect()
        assert connected
        assert "data-lag-badge" in await comm.receive_from()
        assert await comm.receive_nothing(timeout=0.3)
        await comm.disconnect()

    async_to_sync(run)()


def test_a_foreign_origin_is_refused():
    async def run():
        comm = communicator(origin=b"http://evil.example")
        connected, _ = await comm.connect()
        assert not connected

    async_to_sync(run)()


async def database_sync(function, *args, **kwargs):
    return await database_sync_to_async(function)(*args, **kwargs)


def test_a_change_in_the_django_admin_reaches_open_pages_and_bad_values_are_refused():
    ensure_replicas()
    factories.lag(delay_ms=1000)
    admin = get_user_model().objects.create_superuser("boss", "boss@localhost", "a-long-password-1")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    form = {"delay_ms": 1000, "jitter_ms": 0, "failure_rate": 0}
    url = "/admin/store/lagsettings/1/change/"

    async def run():
        comm = communicator("")
        await comm.connect()
        await receive_until(comm, "data-lag-badge")  # the snapshot
        refused = await database_sync(client.post, url, {**form, "delay_ms": 99_999})
        assert refused.status_code == 200 and "errornote" in refused.content.decode()
        saved = await database_sync(client.post, url, {**form, "delay_ms": 4200})
        assert saved.status_code == 302
        assert "4.2 s" in await receive_until(comm, "data-lag-badge")
        await comm.disconnect()

    async_to_sync(run)()
    assert LagSettings.load().delay_ms == 4200


def test_an_applied_write_pushes_its_one_item_numbered_not_the_whole_list():
    ensure_replicas()
    for i in range(15):
        projector.apply("fast", factories.write(f"older {i}", stream="optimistic").pk)
    event = factories.write("<b>just me</b>", stream="optimistic")

    async def run():
        comm = communicator("g=stream.optimistic")
        await comm.connect()
        snapshot = await receive_until(comm, '<template data-patch="stream:optimistic"')
        seq = int(snapshot.split('data-seq="')[1].split('"')[0])
        settled = await database_sync(projector.apply, "fast", event.pk)
        await database_sync(signals.announce, signals.settled, replica="fast", deliveries=settled)
        frame = await receive_until(comm, event.key)
        assert len(frame.encode()) < 2048
        assert 'data-insert data-list="opt-list"' in frame and f'data-seq="{seq + 1}"' in frame
        assert "&lt;b&gt;just me&lt;/b&gt;" in frame and "older" not in frame
        assert frame.count("data-item-id=") == 1
        await comm.disconnect()

    async_to_sync(run)()


def test_a_region_is_a_value_whose_name_parses_back_to_it():
    from push import regions

    built = [regions.CURTAIN_LOG, regions.ROOM_BADGE, regions.curtain_replica("fast"), regions.timeline()]
    built += [regions.timeline("push"), regions.stream("consistent-prefix")]
    assert [regions.Region.parse(r.name) for r in built] == built
    assert [r.name for r in built[:4]] == ["curtain-log", "room", "curtain-replica:fast", "timeline:"]
    assert regions.timeline("push").group == "timeline.push" and regions.timeline().group == "curtain"
    for name in ("nonsense", "room:extra", "curtain-log:x", ""):
        with pytest.raises(ValueError):
            regions.Region.parse(name)


@pytest.mark.django_db
def test_an_unknown_region_is_not_found(client):
    assert client.get("/live/region/nonsense:x/").status_code == 404


def real_socket(query: str, session_key: str = "") -> WebsocketCommunicator:
    """The socket as the app serves it (showcase/asgi.py): cookie parsed, no session loaded."""
    from showcase.asgi import application

    headers = [(b"origin", b"http://localhost")]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, f"/ws/live/?{query}", headers=headers)


def test_a_staff_page_proves_its_socket_is_staff_with_a_ticket_bound_to_its_session():
    """The control group and the room's own count follow the ticket, not the asking: a forged
    ticket, or one copied to another session, is the audience."""
    ensure_replicas()
    staff = factories.staff_client()
    staff_key = staff.cookies["sessionid"].value
    page = staff.get("/").content.decode()
    ticket = tickets.staff_ticket(staff_key)
    assert f"staff={quote(ticket)}" in html.unescape(page)
    audience = Client()
    audience.get("/join/")
    assert "staff=" not in audience.get("/").content.decode()
    redis_client().delete(room.SOCKETS)

    async def members() -> set[str]:
        return {m.decode().partition(" ")[0] for m in await async_redis_client().zrange(room.SOCKETS, 0, -1)}

    async def joins(query: str, session_key: str) -> tuple[bool, set[str]]:
        comm = real_socket(query, session_key)
        assert (await comm.connect())[0]
        await receive_until(comm, "data-lag-badge")
        await comm.receive_nothing(timeout=0.3)  # its snapshots and its room arrival are done
        groups = await async_redis_client().zrange("watch:control", 0, -1)
        counted = await members()
        await comm.disconnect()
        return bool(groups), counted

    async def run():
        forged = quote(ticket[:-4] + "AAAA")
        assert await joins(f"g=control&staff={quote(ticket)}", staff_key) == (True, set())
        assert await joins(f"g=control&staff={forged}", staff_key) == (False, {session_group(staff_key)})
        other = "x" * 32  # the staff ticket on someone else's session
        assert await joins(f"g=control&staff={quote(ticket)}", other) == (False, {session_group(other)})

    redis_client().delete("watch:control")
    async_to_sync(run)()


def test_a_socket_connects_while_the_database_thread_is_busy():
    """A room arriving at once queued its connects in the one database thread of each process,
    one behind another: a connect answers without it, and only the snapshot waits for it."""
    ensure_replicas()
    release = threading.Event()

    async def run():
        busy = asyncio.ensure_future(database_sync_to_async(release.wait)(10))
        comm = real_socket("g=lag&g=follow", "s" * 32)
        try:
            connected, _ = await comm.connect(timeout=3)
            assert connected
            assert await comm.receive_nothing(timeout=0.2)  # the snapshot waits for the thread
        finally:
            release.set()
            await busy
        assert "data-lag-badge" in await receive_until(comm, "data-lag-badge")
        await comm.disconnect()

    async_to_sync(run)()


def test_sockets_that_joined_before_a_snapshot_began_share_it_and_later_ones_share_the_next():
    rendered: list[str] = []
    gate = threading.Event()

    def render(group: str) -> list[str]:
        gate.wait(5)
        rendered.append(group)
        return [f"drawing {len(rendered)}"]

    async def run():
        shared = snapshots.Snapshots(render)
        joined = time.monotonic()
        first = asyncio.ensure_future(shared.of("lag", joined))
        await asyncio.sleep(0)  # the first render has begun
        same = asyncio.ensure_future(shared.of("lag", joined))
        later = [asyncio.ensure_future(shared.of("lag", time.monotonic())) for _ in range(3)]
        other = asyncio.ensure_future(shared.of("follow", time.monotonic()))
        await asyncio.sleep(0.05)
        gate.set()
        return await first, await same, [await x for x in later], await other

    first, same, later, other = async_to_sync(run)()
    assert first == same == ["drawing 1"]
    # Joined after the first render began: one render after it, shared, so nothing missed.
    assert later == [["drawing 3"]] * 3 or later == [["drawing 2"]] * 3
    assert other in (["drawing 2"], ["drawing 3"]) and other != later[0]
    assert sorted(rendered) == ["follow", "lag", "lag"]


def test_a_page_reports_what_it_rendered_over_its_socket_and_nothing_else_is_kept():
    """The "seen" report as a frame (push/seen.py): as strict as the beacon, one statement per
    process every REPORT_EVERY_S, the first time kept."""
    ensure_replicas()
    shown, never = factories.write("rendered on a phone"), factories.write("settled, never reported")
    for event in (shown, never):
        projector.apply("fast", event.pk)  # settled: what a page renders with its token
    shown, never = shown.key, never.key

    def seen_at(key: str):
        return Event.objects.get(key=key).seen_at

    async def run():
        comm = real_socket("g=lag")
        assert (await comm.connect())[0]
        await receive_until(comm, "data-lag-badge")
        await comm.send_to(text_data=json.dumps({"seen": [seen.token(shown), "forged:token"]}))  # refused whole
        await comm.send_to(text_data="x" * 20_000)
        await comm.send_to(text_data=json.dumps({"seen": [seen.token(shown)]}))
        deadline = time.monotonic() + 5
        while await database_sync_to_async(seen_at)(shown) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await comm.disconnect()

    async_to_sync(run)()
    assert seen_at(shown) is not None
    assert seen_at(never) is None


def test_a_socket_moves_to_the_groups_its_swapped_page_asks_for():
    """A following phone swaps in the next demo and keeps its socket (static/showcase/follow.js):
    the socket leaves the old page's groups, joins the new page's with their snapshots, and is
    watched there; a frame asking for groups it may not join joins none of them."""
    ensure_replicas()
    factories.write("on the curtain")
    redis_client().delete("watch:curtain", "watch:timeline.push")

    async def run():
        comm = real_socket("g=curtain")
        assert (await comm.connect())[0]
        await receive_until(comm, 'id="event-log"')
        await comm.send_to(text_data=json.dumps({"groups": ["lag", "timeline.push", "control", "nonsense"]}))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            watching = await sync_to_async(watchers.watched)(["curtain", "timeline.push", "control"])
            if "timeline.push" in watching:
                break
            await asyncio.sleep(0.05)
        await sync_to_async(channel.send)("curtain", '<p id="gone-with-the-old-page"></p>')
        await sync_to_async(channel.send)("timeline.push", '<p id="for-the-new-page"></p>')
        pushed = await receive_until(comm, "<p id=")
        await comm.disconnect()
        return watching, pushed

    watching, pushed = async_to_sync(run)()
    assert watching == {"timeline.push"}  # the curtain left; the control panel's is staff's only
    assert "for-the-new-page" in pushed


def test_a_moved_socket_gets_what_its_page_cannot_show_and_no_more():
    """A swapped-in page says each group's count when it was rendered (push/sent.py). Moving to a
    group sent nothing since, the socket gets only the patched regions' numbered drawings (the
    curtain's timeline), not the log and replicas again; moving with a count from before a change
    (here one nobody watched, so never drawn) it gets the snapshot whole, with the change."""
    ensure_replicas()
    factories.write("before the page")
    redis_client().delete("watch:curtain")

    async def move(comm, drawn) -> list[str]:
        await comm.send_to(text_data=json.dumps({"groups": ["lag", "curtain"], "drawn": drawn}))
        frames = [await comm.receive_from(timeout=3)]
        while not await comm.receive_nothing(timeout=0.5):
            frames.append(await comm.receive_from())
        await comm.send_to(text_data=json.dumps({"groups": ["lag"]}))  # and off the curtain again
        return frames

    async def run():
        comm = real_socket("g=lag")
        assert (await comm.connect())[0]
        await receive_until(comm, "data-lag-badge")
        assert await comm.receive_nothing(timeout=0.3)
        page = await sync_to_async(sent.now)(["curtain", "lag"])
        as_new = await move(comm, page)
        await sync_to_async(factories.write)("after the page")  # the curtain's log changed: counted
        behind = await move(comm, page)
        unknown = await move(comm, {})
        await comm.disconnect()
        return as_new, behind, unknown

    as_new, behind, unknown = async_to_sync(run)()
    assert any('data-patch="timeline:"' in f for f in as_new), [f[:80] for f in as_new]
    assert not any('id="event-log"' in f for f in as_new), [f[:80] for f in as_new]
    for frames in (behind, unknown):
        (log,) = [f for f in frames if 'id="event-log"' in f]
        assert "before the page" in log and 'id="replica-fast"' in log
    assert "after the page" in next(f for f in behind if 'id="event-log"' in f)


def test_a_pushed_page_reaches_the_phones_that_wrote_nothing_there_before_its_marker():
    """The projector moves on: the page every following phone that wrote nothing on it is shown
    comes first, then the marker. A phone that wrote on that page, or posted off the demos' pages,
    gets the marker only (it loads its own page); one that wrote on another demo's page gets it."""
    from django.contrib.sessions.backends.db import SessionStore

    from push import follow
    from store.log import session_ref

    redis_client().delete(follow.KEY, follow.WRITERS)
    sessions = []
    for _ in range(4):
        store = SessionStore()
        store["follow"] = True
        store.create()
        sessions.append(store.session_key)
    quiet, elsewhere, here, anywhere = sessions
    for session, posted in (
        (elsewhere, "/demos/optimistic/write/"),
        (here, "/demos/push/write/"),
        (anywhere, "/write/push/"),
    ):
        redis_client().sadd(follow.WRITERS, follow.mark(session_ref(session), posted))

    async def run():
        sockets = [real_socket("g=lag&g=follow", key) for key in sessions]
        for comm in sockets:
            assert (await comm.connect())[0]
            await receive_until(comm, 'id="follow-at"')
        await sync_to_async(follow.lead)("/demos/push/", "<!doctype html><title>the next demo</title>", {"lag": "1:2"})
        frames = []
        for comm in sockets:
            got = []
            while not got or 'id="follow-at"' not in got[-1]:
                got.append(await comm.receive_from(timeout=3))
            frames.append(got)
            await comm.disconnect()
        return frames

    to_quiet, to_elsewhere, to_here, to_anywhere = async_to_sync(run)()
    for shown in (to_quiet, to_elsewhere):
        assert shown[0] == '<!--follow-page /demos/push/ {"lag":"1:2"}--><!doctype html><title>the next demo</title>'
        assert 'data-follow-path="/demos/push/"' in shown[1] and len(shown) == 2
    for own in (to_here, to_anywhere):
        assert [f for f in own if "follow-page" in f] == []
        assert 'data-follow-path="/demos/push/"' in own[-1]
    redis_client().delete(follow.KEY, follow.WRITERS)
