"""Baseball in the room: the page that plays shares its readers' reads, and a phone watching the
same demo shows them, pushed, instead of reading six readers twice a second itself; every read it
shows still lies within its reader's guarantee (demos/catalog/baseball/sharing.py)."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from demos.catalog.baseball import sharing
from demos.catalog.baseball.game import GUARANTEES, key
from store import log
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
    phone = new_page("/demos/baseball/", width=390, height=800)
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
    assert phone.errors == [] and player.errors == []
