"""Each pane judged live: what it did and showed is recorded per run (demos/history.py), built
into a history per pane and judged by the independent checker off the request path
(demos/verdicts.py, demos/tasks.py); the verdict is kept, shown, pushed and drawn."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from demos import history, verdicts
from demos.catalog.baseball import history as baseball_history
from demos.catalog.cap import history as cap_history
from showcase.redis_client import redis_client
from store import projector, signals
from store.data import ensure_replicas
from store.models import Delivery, Event
from tests.test_push import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clean_history():
    history.reset()
    redis_client().delete(verdicts.RECENT)
    ensure_replicas()


def put(key, value, invoke, complete, session="w", pos=1, status="ok", pane="ap") -> dict:
    return {"p": pane, "s": session, "f": "w", "i": invoke, "c": complete, "st": status, "k": key, "v": value,
            "pos": pos}  # fmt: skip


def get(seen, invoke, complete, session="r", floor=0, pane="ap") -> dict:
    return {"p": pane, "s": session, "f": "r", "i": invoke, "c": complete, "seen": seen, "floor": floor}


def judged(ops, pane="ap"):
    return cap_history.judge(pane)(ops)


# ---- Building CAP's history from recorded operations.


def test_a_read_that_misses_an_acknowledged_write_is_not_linearizable_and_says_when():
    ops = [put("k1", "Seat 12A", 0.0, 0.1), get([], 1.3, 1.35)]
    result = judged(ops)
    assert result.verdict.verdict == "violation"
    assert result.operations == 2
    assert result.why.startswith("“Seat 12A” read as missing 1.2 s after it was acknowledged")


def test_reads_that_show_the_write_once_it_was_acknowledged_are_linearizable():
    ops = [get([], 0.0, 0.05), put("k1", "Seat 1A", 0.1, 0.3), get(["k1"], 0.2, 0.25), get(["k1"], 0.4, 0.5)]
    result = judged(ops)
    assert result.verdict.verdict == "ok"
    assert result.operations == 4


def test_a_read_concurrent_with_the_write_may_miss_it():
    assert judged([put("k1", "x", 0.0, 1.0), get([], 0.5, 0.6)]).verdict.verdict == "ok"


def test_once_one_read_showed_a_write_a_later_read_must_not_lose_it():
    ops = [put("k1", "x", 0.0, 5.0), get(["k1"], 1.0, 1.1, session="a"), get([], 2.0, 2.1, session="b")]
    assert judged(ops).verdict.verdict == "violation"


def test_a_refused_write_took_no_effect_and_must_never_be_read():
    refused = put("k1", "x", 0.0, 0.5, status="fail", pos=None, pane="cp")
    assert judged([refused, get([], 1.0, 1.1, pane="cp")], "cp").verdict.verdict == "ok"
    assert judged([refused, get(["k1"], 1.0, 1.1, pane="cp")], "cp").verdict.verdict == "violation"


def test_a_list_cut_at_its_length_says_nothing_of_writes_older_than_what_it_showed():
    ops = [put("old", "x", 0.0, 0.1, pos=5), put("new", "y", 0.2, 0.3, pos=9)]
    assert judged([*ops, get(["new"], 1.0, 1.1, floor=9)]).verdict.verdict == "ok"
    assert judged([*ops, get(["new"], 1.0, 1.1, floor=0)]).verdict.verdict == "violation"


def test_each_pane_is_judged_on_its_own_operations():
    ops = [put("k1", "x", 0.0, 0.1, pane="ap"), get([], 1.0, 1.1, pane="ap"), get([], 1.0, 1.1, pane="cp")]
    assert judged(ops, "cp").verdict.verdict == "ok"
    assert judged(ops, "cp").operations == 1


# ---- Recording through the real views, judging, keeping, pushing and drawing.


def cap_write(client: Client, text: str) -> str:
    key = f"k{abs(hash(text)) % 10**8}"
    assert client.post("/demos/cap/ap/", {"key": key, "text": text}).status_code == 202
    return key


def test_the_views_record_the_writes_and_reads_of_each_session_in_one_run():
    writer, reader = Client(), Client()
    writer.get("/demos/cap/")
    key = cap_write(writer, "Seat 7C")
    reader.get("/demos/cap/read/ap/")
    run = history.current_run("cap")
    ops = history.operations("cap", run)
    writes = [op for op in ops if op["f"] == "w"]
    assert [(op["p"], op["k"], op["v"], op["st"]) for op in writes] == [("ap", key, "Seat 7C", "ok")]
    reads = [op for op in ops if op["f"] == "r"]
    assert {op["p"] for op in reads} == {"cp", "ap"}
    assert reads[-1]["s"] != writes[0]["s"] and key not in reads[-1]["seen"]  # another session, stale
    assert all(op["i"] <= op["c"] for op in ops)


def test_judging_a_run_finds_ap_stale_keeps_the_verdict_with_its_diagram_and_pushes_it():
    writer, reader = Client(), Client()
    cap_write(writer, "Seat <b>9F</b>")
    reader.get("/demos/cap/read/ap/")

    async def judged_while_a_page_listens():
        comm = communicator("g=stream.cap")
        await comm.connect()
        await receive_until(comm, 'id="verdict-cap-ap"')  # the snapshot: not judged yet
        results = await database_sync_to_async(verdicts.judge)("cap")
        pushed = await receive_until(comm, 'data-verdict="violation"')
        await comm.disconnect()
        return results, pushed

    results, pushed = async_to_sync(judged_while_a_page_listens)()
    # The write, the reader's read, and the read the socket's snapshot made ("push").
    assert results["ap"]["verdict"] == "violation" and results["ap"]["ops"] == 3
    assert results["cp"]["verdict"] == "ok"
    assert "read as missing" in results["ap"]["why"]
    assert 'data-verdict="violation"' in pushed and 'data-checked-ops="3"' in pushed
    assert "&lt;b&gt;9F&lt;/b&gt;" in pushed and "<b>9F" not in pushed
    page = reader.get("/demos/cap/").content.decode()
    assert 'id="verdict-cap-ap"' in page and 'data-verdict="violation"' in page
    svg = reader.get(f"/demos/cap/verdicts/{results['ap']['run']}/ap.svg")
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert "default-src 'none'" in svg["Content-Security-Policy"]
    assert b"<b>" not in svg.content and b"&lt;b&gt;9F" in svg.content
    assert reader.get(f"/demos/cap/verdicts/{results['ap']['run']}/cp.svg").status_code == 404
    curtain = reader.get("/curtain/").content.decode()
    assert 'data-judged-run="cap:' in curtain and "not linearizable" in curtain


def test_once_the_replica_has_the_write_every_read_shows_it_and_ap_is_linearizable():
    writer, reader = Client(), Client()
    key = cap_write(writer, "Seat 3D")
    event = Event.objects.get(key=f"ap-{key}")
    for replica in ("cap-a", "cap-b", "cap-c"):
        settled = projector.apply(replica, event.pk)
        signals.announce(signals.settled, replica=replica, deliveries=settled)
    assert Delivery.objects.filter(event=event, state=Delivery.APPLIED).count() == 3
    reader.get("/demos/cap/read/ap/")
    assert verdicts.judge("cap")["ap"]["verdict"] == "ok"


def test_the_first_operation_schedules_one_judge_and_the_judge_clears_the_flag():
    Client().get("/demos/cap/read/ap/")
    assert redis_client().get(history.judge_flag("cap")) is not None
    Client().get("/demos/cap/read/ap/")  # while one waits, no second
    verdicts.judge("cap")
    assert redis_client().get(history.judge_flag("cap")) is None


def test_a_pane_without_a_verdict_is_pending_with_no_operations_checked():
    page = Client().get("/demos/cap/").content.decode()
    assert 'id="verdict-cap-cp"' in page
    # The page's own reads are recorded, not judged yet.
    saved = redis_client().hgetall("history:cap:verdicts")
    assert saved == {}
    assert 'data-verdict="pending"' in page and 'data-checked-ops="0"' in page


def test_a_reset_starts_a_new_run_and_forgets_the_verdicts():
    Client().get("/demos/cap/read/ap/")
    first = history.current_run("cap")
    verdicts.judge("cap")
    signals.announce(signals.reset)
    assert verdicts.latest("cap") == {}
    Client().get("/demos/cap/read/ap/")
    assert history.current_run("cap") == first + 1


# ---- Baseball: each reader's reads against its guarantee.


def game_write(pos, invoke, complete, session="keeper", game="g1") -> dict:
    return {"p": "game", "s": session, "f": "w", "i": invoke, "c": complete, "st": "ok", "k": str(pos), "v": "x",
            "pos": pos, "game": game}  # fmt: skip


def reading(pane, seen, invoke, session="keeper", page="p1", game="g1") -> dict:
    return {"p": pane, "s": session, "f": "r", "i": invoke, "c": invoke + 0.01, "seen": [str(s) for s in seen],
            "floor": 0, "game": game, "page": page}  # fmt: skip


def baseball(ops, pane):
    return baseball_history.judge(pane)(ops)


GAME_WRITES = [game_write(10, 0.0, 0.05), game_write(11, 0.4, 0.45), game_write(12, 0.8, 0.85)]


def test_a_reader_that_shows_a_later_run_without_an_earlier_one_breaks_consistent_prefix():
    ops = [*GAME_WRITES, reading("consistent-prefix", [10], 1.0), reading("eventual", [10, 12], 1.0)]
    assert baseball(ops, "consistent-prefix").verdict.verdict == "ok"
    eventual = baseball(ops, "eventual")
    assert eventual.verdict.verdict == "violation" and eventual.operations == 4
    assert "11" in eventual.verdict.explanation


def test_monotonic_reads_are_per_page_and_strong_misses_nothing_completed():
    ops = [
        *GAME_WRITES,
        reading("monotonic-reads", [10, 11], 1.0, page="a"),
        reading("monotonic-reads", [10], 1.1, page="b"),
    ]
    assert baseball(ops, "monotonic-reads").verdict.verdict == "ok"  # two pages, each monotonic
    ops.append(reading("monotonic-reads", [10], 1.2, page="a"))
    assert baseball(ops, "monotonic-reads").verdict.verdict == "violation"
    assert baseball([*GAME_WRITES, reading("strong", [10, 11, 12], 1.0)], "strong").verdict.verdict == "ok"
    assert baseball([*GAME_WRITES, reading("strong", [10, 11], 1.0)], "strong").verdict.verdict == "violation"


def test_the_scorekeeper_reads_its_own_runs_and_only_the_newest_game_is_judged():
    old = [game_write(1, 0.0, 0.01, game="g0"), reading("read-my-writes", [], 0.5, game="g0")]
    ops = [
        *old,
        *GAME_WRITES,
        reading("read-my-writes", [10, 11, 12], 1.0),
        reading("read-my-writes", [], 1.0, "other"),
    ]
    assert baseball(ops, "read-my-writes").verdict.verdict == "ok"
    assert baseball(ops, "read-my-writes").operations == 5
    ops.append(reading("read-my-writes", [10], 1.5))
    assert baseball(ops, "read-my-writes").verdict.verdict == "violation"


def test_bounded_staleness_allows_a_read_within_the_bound_and_not_beyond():
    within = reading("bounded-staleness", [10], 2.0)
    beyond = reading("bounded-staleness", [10], 0.85 + 3.5)
    assert baseball([*GAME_WRITES, within], "bounded-staleness").verdict.verdict == "ok"
    assert baseball([*GAME_WRITES, beyond], "bounded-staleness").verdict.verdict == "violation"


def test_the_baseball_views_record_each_write_and_each_read_with_what_it_reflected():
    client = Client()
    game = client.post("/demos/baseball/play/").json()["game"]
    for index in range(2):
        assert client.post("/demos/baseball/write/", {"game": game, "index": index}).status_code == 202
    client.get(f"/demos/baseball/read/strong/?game={game}&page=tab1")
    ops = history.operations("baseball", history.current_run("baseball"))
    writes = [op for op in ops if op["f"] == "w"]
    assert [op["game"] for op in writes] == [game, game]
    read = next(op for op in ops if op["f"] == "r")
    assert (read["p"], read["page"], read["seen"]) == ("strong", "tab1", [w["k"] for w in writes])
    assert verdicts.judge("baseball")["strong"]["verdict"] == "ok"
