"""Baseball in the room: the page that plays shares its readers' reads, and a phone watching the
same demo shows them, pushed, instead of reading six readers twice a second itself; every read it
shows still lies within its reader's guarantee (demos/catalog/baseball/sharing.py)."""

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from playwright.sync_api import expect

from bench.baseball_room import PAGE, SHARED, BaseballPhone, until
from bench.room_client import Stats
from demos.catalog.baseball import sharing
from demos.catalog.baseball.game import GAME, GUARANTEES, key
from store import log
from tests.conftest import wait_until
from tests.helpers import assert_readers_kept_their_guarantees

READ = "/demos/baseball/read/"


@pytest.mark.django_db
def test_only_the_session_that_wrote_a_game_shares_its_reads():
    player, other = Client(), Client()
    for client in (player, other):
        client.get("/demos/push/")  # a page with a form opens the session
    run = {"game": "g1", "index": 0, "team": "home", "runs": 1}
    log.append("baseball", key("g1", 0), run, session_key=player.session.session_key)
    assert sharing.played_by("g1", player.session.session_key)
    assert not sharing.played_by("g1", other.session.session_key)
    assert not sharing.played_by("g1", None)
    assert not sharing.played_by("g2", player.session.session_key)


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_a_phone_shows_the_playing_pages_reads_and_reads_almost_nothing_itself(fresh, live, new_page):
    live.lag(delay_ms=400, jitter_ms=800, reorder=True, replica_lag="slow=1500")
    frames: list[int] = []  # per frame carrying shared reads, how many it carries
    phone = new_page("/demos/baseball/", width=390, height=800, setup=count_shared_reads(frames))
    # Its first reads done and settled (no game yet): from now on it reads only when told to.
    expect(phone.locator('[data-reading-slot] [data-reading][data-settled="1"]')).to_have_count(len(GUARANTEES))
    phone_reads: list[str] = []
    player = new_page("/demos/baseball/")
    phone.on("request", lambda request: phone_reads.append(request.url) if READ in request.url else None)
    player.click("[data-play]")
    expect(player.locator("[data-demo][data-game=over]")).to_be_attached(timeout=60_000)
    for page in (player, phone):
        for pane in page.locator("[data-guarantee]").all():
            expect(pane).to_have_attribute("data-score", "2-5", timeout=90_000)
    # Polling, six readers would have read twice a second each for the whole game (several
    # seconds); watching, a reader reads at most once or twice itself before the first push.
    assert len(phone_reads) <= 2 * len(GUARANTEES), phone_reads
    reads = phone.evaluate("window.baseballReads")
    assert_readers_kept_their_guarantees(reads)
    # The playing page's reads came gathered: several in a frame, not a frame per read.
    assert frames and sum(frames) >= 2 * len(frames), frames
    assert phone.errors == [] and player.errors == []


@pytest.mark.browser
@pytest.mark.timeout(300)
def phone_counting_reads(new_page):
    """A phone on the baseball page, and the list of the reads it makes itself."""
    reads: list[str] = []
    phone = new_page(
        "/demos/baseball/",
        width=390,
        height=800,
        setup=lambda page: page.on("request", lambda r: reads.append(r.url) if READ in r.url else None),
    )
    return phone, reads


def test_a_phone_whose_pushed_reads_stop_reads_on_its_own(fresh, new_page):
    """The playing page goes away mid-game: its reads stop coming, and the phone's readers read
    for themselves until they show the game as far as it was written, each within its guarantee."""
    fresh.lag(delay_ms=400, jitter_ms=800, reorder=True, replica_lag="slow=1500")
    phone, reads = phone_counting_reads(new_page)
    expect(phone.locator('[data-reading-slot] [data-reading][data-settled="1"]')).to_have_count(len(GUARANTEES))
    player = new_page("/demos/baseball/")
    player.click("[data-play]")
    expect(player.locator("[data-play-status]")).to_contain_text(
        re.compile(r"Run [2-6] of 7"), timeout=30_000
    )  # mid-game
    game = player.locator(".panes[data-game-id]").get_attribute("data-game-id")
    expect(phone.locator(".panes[data-game-id]")).to_have_attribute("data-game-id", game)
    read_before = len(reads)
    player.close()
    written = "SELECT count(*) FROM store_event WHERE stream = 'baseball'"
    settled = f'[data-reading-slot] [data-reading][data-game-id="{game}"][data-settled="1"]'
    wait_until(
        lambda: (
            phone.locator(settled).count() == len(GUARANTEES)
            and {s.get_attribute("data-written") for s in phone.locator(settled).all()}
            == {str(fresh.query(written)[0][0])}
        ),
        90,
        what="the phone's six readers settled on the game as written",
    )
    assert len(reads) > read_before
    assert_readers_kept_their_guarantees(phone.evaluate("window.baseballReads"))
    assert phone.errors == []


def count_shared_reads(frames: list[int]):
    def setup(page) -> None:
        def socket(ws) -> None:
            def received(payload) -> None:
                if isinstance(payload, str) and (n := len(SHARED.findall(payload))):
                    frames.append(n)

            ws.on("framereceived", received)

        page.on("websocket", socket)

    return setup


@pytest.mark.timeout(300)
def test_the_room_benchmarks_phones_watch_a_game_as_the_page_does(fresh):
    """bench/baseball_room.py's phones run the page's readers: they show the game the simulated
    projector plays, settled, from its pushed reads, reading next to nothing themselves."""
    fresh.lag(delay_ms=400, jitter_ms=800, reorder=True, replica_lag="slow=1500")

    async def watch():
        stats = Stats()
        player, *phones = [BaseballPhone(fresh.url, stats) for _ in range(3)]
        for client in (player, *phones):
            await client.open(PAGE)
        assert await until(lambda: all(c.idle() and c.ws is not None for c in (player, *phones)), 60)
        reads = sum(p.reads for p in phones)
        game = await player.play()
        assert await until(lambda: all(r.done(game) for c in (player, *phones) for r in c.readers), 90)
        scores = [{r.shown["score"] for r in c.readers} for c in (player, *phones)]
        for client in (player, *phones):
            await client.close()
        return game, scores, player, phones, sum(p.reads for p in phones) - reads, stats

    # Playwright's sync API may have left an event loop in this thread: the simulator runs in another.
    with ThreadPoolExecutor(1) as pool:
        game, scores, player, phones, phone_reads, stats = pool.submit(asyncio.run, watch()).result()
    assert scores == [{"2-5"}] * 3
    assert all(any(g == game for g, *_ in p.pushed) for p in phones)
    assert not player.pushed  # the page that plays reads for itself
    # A frame per window of the playing page's reads, not one per read: fewer than half as many
    # frames as the reads it shared, and several reads in a frame.
    shared = len(player.shared_sent)
    assert all(2 * p.shared_frames < shared for p in phones), (shared, [p.shared_frames for p in phones])
    assert all(p.shared_reads >= 2 * p.shared_frames for p in phones), [
        (p.shared_frames, p.shared_reads) for p in phones
    ]
    assert phone_reads <= 2 * len(GUARANTEES) * len(phones), phone_reads
    assert stats.errors == 0


@pytest.mark.browser
def test_a_page_arriving_on_a_settled_game_shows_its_reads_and_reads_nothing(fresh, new_page):
    """A room following the projector to the baseball page would otherwise ask six reads each."""
    client = fresh.client()
    status, _, body = client.post("/demos/baseball/play/", {})
    game = json.loads(body)["game"]
    for index in range(len(GAME)):
        status, _, body = client.post("/demos/baseball/write/", {"game": game, "index": index})
        assert status == 202, body
    queued = "SELECT count(*) FROM store_delivery WHERE state = 'queued'"
    wait_until(lambda: fresh.query(queued)[0][0] == 0, 30, what="the game settled on every replica")
    phone, reads = phone_counting_reads(new_page)
    scores = phone.locator("[data-guarantee]").evaluate_all("panes => panes.map(p => p.dataset.score)")
    assert scores == ["2-5"] * len(GUARANTEES)
    assert reads == []
    assert_readers_kept_their_guarantees(phone.evaluate("window.baseballReads"))
