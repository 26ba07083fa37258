"""The session demos judged live by the independent checker (checker.sessions): read your writes,
monotonic reads, consistent prefix and monotonic writes record what each pane was served or
pushed through their real views (demos/session_checks.py), and each pane's history is judged
against its guarantee: the trick keeps it, the naive pane's anomaly is the checker's finding,
named by the read that broke it and the write it missed."""

import re

import pytest
from django.test import Client

from checker import sessions
from demos import guarantees, history, session_checks, verdicts
from demos.catalog.consistent_prefix import demo as consistent_prefix
from demos.catalog.monotonic_writes import demo as monotonic_writes
from demos.catalog.monotonic_writes import listing
from demos.catalog.read_your_writes import demo as read_your_writes
from showcase.redis_client import redis_client
from store import projector
from store.data import ensure_replicas
from store.models import Event, Replica
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clean_history():
    history.reset()
    redis_client().delete(verdicts.RECENT)
    ensure_replicas()


def recorded(slug: str) -> list[dict]:
    return history.operations(slug, history.current_run(slug))


def visitor(page: str) -> Client:
    client = Client()
    client.get(page)  # the page opens the session its writes count against
    return client


def send(client: Client, page: str, text: str, status: int = 202) -> Event:
    key = factories.key()
    response = client.post(page + "write/", {"text": text, "key": key})
    assert response.status_code == status, response.content
    return Event.objects.get(key=key)


# ---- Building a history: the floor of a list cut at its length, writes before the run.


def w(key, pos, invoke, complete, session="a") -> dict:
    return history.write(session_checks.WRITES, session, invoke, key, key.upper(), pos) | {"c": complete}


def r(pane, seen, invoke, session="a", floor=0) -> dict:
    return history.read(pane, session, invoke, seen, floor) | {"c": invoke + 0.01}


def test_a_read_cut_at_its_length_is_not_required_to_show_writes_older_than_its_floor():
    ops = [w("old", 3, 0.0, 0.1), w("new", 9, 0.2, 0.3)]
    ryw = session_checks.judge("naive", "read-your-writes", lambda *args: "missed")
    assert ryw([*ops, r("naive", ["new"], 1.0, floor=9)]).verdict.verdict == "ok"
    broken = ryw([*ops, r("naive", ["new"], 1.0, floor=0)])
    assert broken.verdict.verdict == "violation" and broken.why == "missed" and broken.operations == 3


def test_what_a_read_showed_from_before_the_run_is_left_out_and_a_retried_key_is_one_write():
    ops = [w("k1", 5, 0.0, 0.1), w("k1", 5, 0.5, 0.6), r("naive", ["seed", "k1"], 1.0)]
    built = session_checks.history_of(ops, "naive")
    assert [op.kind for op in built] == ["write", "read"] and built[1].seen == ("“K1”",)
    assert built[0].complete == 0.1 and built[0].write == "“K1”"


def test_the_checker_reads_a_floor_from_json_lines():
    lines = [
        '{"session": "a", "kind": "write", "write": "w1", "position": 1, "invoke": 0, "complete": 1}',
        '{"session": "a", "kind": "read", "seen": [], "floor": 2, "invoke": 2, "complete": 3}',
    ]
    assert sessions.check(sessions.load(lines), "read-your-writes").verdict == "ok"
    assert sessions.check(sessions.load(lines[:1] + [lines[1].replace('"floor": 2', '"floor": 1')]),
                          "read-your-writes").verdict == "violation"  # fmt: skip


# ---- Read your writes.

RYW = "/demos/read-your-writes/"


def test_read_your_writes_naive_misses_the_sessions_own_comment_and_the_trick_shows_it():
    ada, bob = visitor(RYW), visitor(RYW)
    comment = send(ada, RYW, "Where is <my> comment?", status=303)
    ada.get(RYW)  # the redirect: both panes read the lagging replica, which lacks it
    bob.get(RYW)
    ops = recorded("read-your-writes")
    (write,) = [op for op in ops if op["f"] == "w"]
    assert (write["k"], write["pos"], write["v"]) == (comment.key, comment.pk, comment.text)
    assert write["c"] >= write["i"]
    reads = [op for op in ops if op["f"] == "r"]
    assert {op["p"] for op in reads} == {"naive", "trick"}
    last = {op["p"]: op for op in reads if op["s"] == write["s"]}
    assert comment.key not in last["naive"]["seen"] and comment.key in last["trick"]["seen"]

    results = verdicts.judge("read-your-writes")
    naive, trick = results["naive"], results["trick"]
    assert trick["verdict"] == "ok" and trick["ops"] == 5  # the write and four page loads
    assert naive["verdict"] == "violation" and naive["ops"] == 5
    assert naive["why"].startswith(f"where is my comment? “Where is <my> comment?” (#{comment.pk}) missing from")
    page = bob.get(RYW).content.decode()
    assert 'id="verdict-read-your-writes-naive"' in page and "&lt;my&gt;" in page and "<my>" not in page
    assert 'data-verdict="violation"' in page and 'data-verdict="ok"' in page
    svg = bob.get(f"/demos/read-your-writes/verdicts/{naive['run']}/naive.svg")
    assert svg.status_code == 200 and b"&lt;my&gt;" in svg.content and b"<my>" not in svg.content


def test_read_your_writes_once_the_replica_has_the_comment_the_naive_read_shows_it_too():
    ada = visitor(RYW)
    comment = send(ada, RYW, "Applied at once", status=303)
    projector.apply(read_your_writes.REPLICA, comment.pk)
    ada.get(RYW)
    read_your_writes.pushed()  # what every page is pushed: the naive read, by "push"
    results = verdicts.judge("read-your-writes")
    assert results["naive"]["verdict"] == "ok" and results["trick"]["verdict"] == "ok"
    assert results["naive"]["ops"] == 4  # the write, two page reads and the push


@pytest.mark.parametrize("strategy", ["merge", "wait", "leader"])
def test_read_your_writes_each_strategy_of_the_trick_keeps_it_by_the_checkers_verdict(strategy):
    ada = visitor(f"{RYW}?strategy={strategy}")
    for text in ("one", "two"):
        send(ada, RYW, text, status=303)
        ada.get(RYW)
    assert verdicts.judge("read-your-writes")["trick"]["verdict"] == "ok"


# ---- Monotonic reads: per page, as each pane's reads went.

MR = "/demos/monotonic-reads/"


def read_pane(client: Client, pane: str, turn: int, page: str, seen: int = 0) -> int:
    """One read as the page's script makes it; the trick's answer says what to send as `seen`."""
    response = client.get(f"{MR}{pane}/?turn={turn}&seen={seen}&page={page}")
    assert response.status_code == 200
    seen = re.search(r'data-seen="(\d+)"', response.content.decode())
    return int(seen[1]) if seen else 0


def test_monotonic_reads_naive_goes_back_in_time_and_the_trick_never_does():
    ada = visitor(MR)
    comment = send(ada, MR, "First comment")
    rotation = list(Replica.objects.filter(ordered=True, stream="").order_by("extra_lag_ms", "name"))
    projector.apply(rotation[0].name, comment.pk)  # the fast replica has it, the others not yet
    seen = 0
    for turn in range(3):
        read_pane(ada, "naive", turn, page="tab1")
        seen = read_pane(ada, "trick", turn, page="tab1", seen=seen)
    read_pane(ada, "naive", 1, page="tab2")  # another page: its own first read, from a stale replica
    reads = [op for op in recorded("monotonic-reads") if op["f"] == "r"]
    assert {(op["p"], op["page"]) for op in reads} == {("naive", "tab1"), ("trick", "tab1"), ("naive", "tab2")}
    results = verdicts.judge("monotonic-reads")
    assert results["trick"]["verdict"] == "ok" and results["trick"]["ops"] == 4
    naive = results["naive"]
    assert naive["verdict"] == "violation" and naive["ops"] == 5
    assert naive["why"].startswith(f"“First comment” (#{comment.pk}), shown by page ")
    assert "/tab1's read at" in naive["why"] and "2 reads break it" in naive["why"]
    assert verdicts.shown("monotonic-reads", naive)["sentence"].startswith("went back in time — “First comment”")


def test_monotonic_reads_two_pages_of_one_session_each_keep_their_own_memory():
    ada = visitor(MR)
    comment = send(ada, MR, "Second comment")
    projector.apply(
        Replica.objects.filter(ordered=True, stream="").order_by("extra_lag_ms", "name")[0].name, comment.pk
    )
    read_pane(ada, "naive", 0, page="tab1")  # shows it
    read_pane(ada, "naive", 1, page="tab2")  # another page, stale: not going back for that page
    assert verdicts.judge("monotonic-reads")["naive"]["verdict"] == "ok"


# ---- Consistent prefix: each thread as served or pushed, in its order.

CP = "/demos/consistent-prefix/"


def test_consistent_prefix_naive_shows_the_answer_before_its_question_and_the_trick_waits():
    ada, bob = visitor(CP), visitor(CP)
    question, answer = send(ada, CP, "Q: Where is the coffee?"), send(bob, CP, "A: Room B")
    projector.apply(consistent_prefix.REPLICA, answer.pk)  # the answer overtook the question
    consistent_prefix.pushed()  # what every page is pushed after that apply
    projector.apply(consistent_prefix.REPLICA, question.pk)
    consistent_prefix.pushed()
    ada.get(CP)
    threads = [op for op in recorded("consistent-prefix") if op["f"] == "r"]
    naive = [op["seen"] for op in threads if op["p"] == "naive" and op["s"] == "push"]
    trick = [op["seen"] for op in threads if op["p"] == "trick" and op["s"] == "push"]
    assert naive == [[answer.key], [answer.key, question.key]]  # as they arrived
    assert trick == [[], [question.key, answer.key]]  # in log order
    results = verdicts.judge("consistent-prefix")
    assert results["trick"]["verdict"] == "ok" and results["trick"]["ops"] == 2 + 5
    result = results["naive"]
    assert result["verdict"] == "violation" and result["ops"] == 7
    assert result["why"] == (
        f"“A: Room B” (#{answer.pk}) shown without “Q: Where is the coffee?” (#{question.pk}), which the log has "
        "before it, in a thread pushed to every page; 3 reads break it"
    )


def test_consistent_prefix_a_thread_cut_at_its_length_covers_the_log_from_its_oldest_post(settings):
    settings.RATELIMIT_WRITES = 1000
    ada = visitor(CP)
    posts = [send(ada, CP, f"post {n}") for n in range(guarantees.LIMIT + 1)]
    for post in posts:
        projector.apply(consistent_prefix.REPLICA, post.pk)
    ada.get(CP)
    (naive,) = [op for op in recorded("consistent-prefix") if op["f"] == "r" and op["p"] == "naive"][-1:]
    assert naive["floor"] == posts[1].pk and len(naive["seen"]) == guarantees.LIMIT
    assert verdicts.judge("consistent-prefix")["naive"]["verdict"] == "ok"


# ---- Monotonic writes: each listing as served or pushed, with the writes it had applied.

MW = "/demos/monotonic-writes/"


def test_monotonic_writes_naive_publishes_before_the_price_and_the_trick_holds_publish_back():
    ada = visitor(MW)
    price, publish = send(ada, MW, "price 40"), send(ada, MW, "publish")
    projector.apply(listing.REPLICA, publish.pk)  # "publish" overtook "price 40"
    monotonic_writes.pushed()
    projector.apply(listing.REPLICA, price.pk)
    monotonic_writes.pushed()
    pushes = [op for op in recorded("monotonic-writes") if op["f"] == "r" and op["s"] == "push"]
    assert [op["seen"] for op in pushes if op["p"] == "naive"] == [[publish.key], [publish.key, price.key]]
    assert [op["seen"] for op in pushes if op["p"] == "trick"] == [[], [price.key, publish.key]]  # held, then both
    results = verdicts.judge("monotonic-writes")
    assert results["trick"]["verdict"] == "ok" and results["trick"]["ops"] == 2 + 3
    naive = results["naive"]
    assert naive["verdict"] == "violation" and naive["ops"] == 5
    assert naive["why"] == (
        f"“publish” (#{publish.pk}) applied without “price 40” (#{price.pk}), which its session wrote first, "
        "in a listing pushed to every page"
    )
    page = ada.get(MW).content.decode()
    assert 'id="verdict-monotonic-writes-naive"' in page and "out of its session&#x27;s order" in page


def test_monotonic_writes_another_sessions_write_may_come_in_any_order():
    ada, bob = visitor(MW), visitor(MW)
    price, publish = send(ada, MW, "price 40"), send(bob, MW, "publish")
    projector.apply(listing.REPLICA, publish.pk)
    monotonic_writes.pushed()
    projector.apply(listing.REPLICA, price.pk)
    monotonic_writes.pushed()
    assert verdicts.judge("monotonic-writes")["naive"]["verdict"] == "ok"
