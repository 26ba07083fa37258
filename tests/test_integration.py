"""The backbone with its real parts: Daphne, a Celery worker, the sweeper and Redis."""

import base64
import json
import random
import signal
import threading
import time
import urllib.request
from datetime import datetime

import pytest
import redis

from tests.conftest import wait_until

pytestmark = pytest.mark.integration


def deliveries(live, position: int) -> dict[str, tuple]:
    rows = live.query(
        "SELECT replica_id, state, applied_at, enqueue_count FROM store_delivery WHERE event_id = ?",
        (position,),
    )
    return {replica: (state, applied_at, count) for replica, state, applied_at, count in rows}


def lag_of(live, position: int, replica: str) -> float:
    """Seconds from acceptance to applying, as the database recorded them."""
    ((applied, accepted),) = live.query(
        "SELECT d.applied_at, e.accepted_at FROM store_delivery d JOIN store_event e ON e.id = d.event_id "
        "WHERE d.event_id = ? AND d.replica_id = ?",
        (position, replica),
    )
    return (moment(applied) - moment(accepted)).total_seconds()


def moment(value) -> datetime:
    """A stored timestamp as a datetime: SQLite hands back text, PostgreSQL a datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)


def shared_replicas(live) -> int:
    """How many replicas the curtain's writes go to (the CAP demo's cluster gets only its own)."""
    return live.query("SELECT count(*) FROM store_replica WHERE stream = ''")[0][0]


def applied_count(live, positions: list[int]) -> int:
    """How many deliveries of these events are applied, over all replicas."""
    marks = ",".join("?" * len(positions))
    sql = f"SELECT count(*) FROM store_delivery WHERE state = 'applied' AND event_id IN ({marks})"
    return live.query(sql, tuple(positions))[0][0]


def test_healthz_reports_every_part_ok(live):
    with urllib.request.urlopen(live.url + "/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"database": "ok", "redis": "ok", "worker": "ok"}


def test_write_answers_202_with_its_position_and_a_retry_is_the_same_event(fresh):
    client = fresh.client()
    first = client.write("once", key="retry-key-1")
    second = client.write("once", key="retry-key-1")
    assert first == second
    assert fresh.query("SELECT count(*) FROM store_event WHERE key = 'retry-key-1'") == [(1,)]
    status, _, body = client.post("/write/curtain/", {"text": "other", "key": "retry-key-1"})
    assert status == 409 and "different write" in body


@pytest.mark.parametrize("text", ["", "x" * 141])
def test_bad_input_gets_a_message_and_creates_no_event(fresh, text):
    status, _, body = fresh.client().post("/write/curtain/", {"text": text, "key": "k-bad"})
    assert status == 400
    assert 'role="alert"' in body
    assert fresh.query("SELECT count(*) FROM store_event WHERE key = 'k-bad'") == [(0,)]


def test_a_write_reaches_each_replica_after_its_own_lag(fresh):
    fresh.lag(delay_ms=1000, replica_lag="slow=1000")
    position = fresh.client().write("lagged")
    time.sleep(0.5)  # a point in time the lag forbids, not a wait for a condition
    assert {s for s, _, _ in deliveries(fresh, position).values()} == {"queued"}
    wait_until(
        lambda: {s for s, _, _ in deliveries(fresh, position).values()} == {"applied"},
        timeout=10,
        what="both replicas to apply",
    )
    fast, slow = lag_of(fresh, position, "fast"), lag_of(fresh, position, "slow")
    print(f"\napply lag at 1 s delay: fast {fast:.3f} s; slow (+1 s) {slow:.3f} s")
    assert 1.0 <= fast < 2.5
    assert 2.0 <= slow < 3.5


def test_partition_queues_writes_and_heal_lets_them_flow(fresh):
    fresh.lag(pause=True)
    client = fresh.client()
    positions = [client.write(f"during partition {i}") for i in range(3)]
    time.sleep(1.0)  # longer than the lag: still nothing may be applied
    assert fresh.query(
        "SELECT count(*) FROM store_delivery WHERE state != 'queued' AND event_id >= ?", (positions[0],)
    ) == [(0,)]
    fresh.lag(heal=True)
    expected = 3 * shared_replicas(fresh)
    wait_until(
        lambda: applied_count(fresh, positions) == expected, timeout=20, what="the queued writes to flow after heal"
    )


def test_killing_the_worker_mid_flight_loses_no_write_and_applies_each_once(fresh):
    # Long enough that no task falls due while 20 writes go in, even on a busy machine.
    fresh.lag(delay_ms=8000)
    # Four audience members, five writes each: one session alone would hit the rate limit.
    clients = [fresh.client() for _ in range(4)]
    broker = redis.Redis.from_url(fresh.stack.redis_url)
    claims_before = set(broker.keys("drain:*"))
    positions = [clients[i % 4].write(f"in flight {i}") for i in range(20)]
    # Kill the worker while it holds every drain the writes sent (one per tick, for the replicas
    # claimed in it: store/tasks.py) unacknowledged, before any is due.
    claims = set(broker.keys("drain:*")) - claims_before
    assert len(claims) >= shared_replicas(fresh)
    drains = len({claim.rsplit(b":", 1)[1] for claim in claims})  # the replicas of one tick share a drain
    wait_until(
        lambda: broker.llen("celery") == 0 and broker.hlen("unacked") >= drains,
        timeout=20,
        what="the worker to take every drain",
    )
    fresh.stack.stop("worker", sig=signal.SIGKILL)
    assert fresh.query(
        "SELECT count(*) FROM store_delivery WHERE state != 'queued' AND event_id >= ?", (positions[0],)
    ) == [(0,)]
    fresh.stack.start_worker()
    marks = ",".join("?" * len(positions))
    wait_until(
        lambda: applied_count(fresh, positions) == 20 * shared_replicas(fresh),
        timeout=60,
        what="every accepted write applied by the new worker",
    )
    # Exactly once: one delivery per event and replica, each applied, though some were sent again.
    rows = fresh.query(
        f"SELECT replica_id, event_id, count(*), max(enqueue_count) FROM store_delivery "
        f"WHERE event_id IN ({marks}) GROUP BY replica_id, event_id",
        tuple(positions),
    )
    assert len(rows) == 20 * shared_replicas(fresh)
    assert all(count == 1 for _, _, count, _ in rows)
    assert any(sent > 1 for _, _, _, sent in rows), "the sweeper should have re-sent lost tasks"
    assert fresh.query("SELECT checkpoint FROM store_replica WHERE stream = '' ORDER BY name") == [
        (max(positions),)
    ] * shared_replicas(fresh)


def test_writes_during_a_broker_outage_get_their_202_and_are_applied_after_it(fresh):
    fresh.lag(delay_ms=200)
    client = fresh.client()
    client.csrf()
    port = int(fresh.stack.redis_url.rsplit(":", 1)[1].split("/")[0])
    fresh.stack.stop("redis", sig=signal.SIGKILL)  # no persistence: every queued task is gone
    try:
        positions = [client.write(f"while the broker is down {i}") for i in range(3)]
    finally:
        fresh.stack.start_redis(port)
    # The worker finds the broker again on its own schedule (it retries at growing intervals),
    # then the sweeper's grace passes: a deadline, not a speed (40 s ran out once on a busy CI).
    wait_until(
        lambda: applied_count(fresh, positions) == len(positions) * shared_replicas(fresh),
        timeout=90,
        what="the sweeper to deliver every write on every replica after the outage",
    )
    wait_until(fresh.stack.healthy, timeout=20, what="/healthz to recover")


def test_lag_command_in_a_shell_exits_non_zero_on_a_bad_value_and_changes_nothing(fresh):
    fresh.lag(delay_ms=1234)
    with pytest.raises(RuntimeError, match="delay_ms"):
        fresh.manage("lag", "--delay-ms", "99999")
    assert "delay_ms: 1234" in fresh.manage("lag")


def fire(live, tasks: list[tuple[str, int]], spread_s: float = 0.0) -> None:
    """Send extra apply tasks to the live app's broker, as a broker redelivery or a sweeper would."""
    from showcase.celery import app
    from store.tasks import apply_event

    with app.connection_for_write(live.stack.redis_url) as connection:
        for replica, position in tasks:
            apply_event.apply_async((replica, position), countdown=random.uniform(0, spread_s), connection=connection)


def applies_in_flight(live, positions: list[int]) -> int:
    """Apply tasks for these positions waiting in the broker or held by a worker.

    Only these: a worker killed by an earlier test leaves its tasks in `unacked` until the
    visibility timeout, and the sweeper sends tasks of its own."""
    broker = redis.Redis.from_url(live.stack.redis_url)
    waiting = [json.loads(m) for m in broker.lrange("celery", 0, -1)]
    held = [json.loads(m)[0] for m in broker.hvals("unacked")]
    wanted = set(positions)
    return sum(
        m["headers"]["task"] == "store.tasks.apply_event" and json.loads(base64.b64decode(m["body"]))[0][1] in wanted
        for m in waiting + held
    )


@pytest.mark.timeout(600)
def test_sixteen_writers_two_workers_and_duplicate_and_late_tasks_apply_each_event_once_in_log_order(fresh):
    fresh.lag(delay_ms=200, jitter_ms=300, reorder=True)
    before = dict(fresh.query("SELECT name, applies FROM store_replica"))
    fresh.stack.start_worker("worker2")
    positions, lock = [], threading.Lock()

    def writer(n: int):
        client = fresh.client()  # one audience member each: the rate limit is per session
        for i in range(5):
            position = client.write(f"writer {n} #{i}")
            with lock:
                positions.append(position)
            fire(fresh, [("fast", position), ("slow", position)], spread_s=0.6)  # duplicates

    try:
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
        for t in writers:
            t.start()
        for t in writers:
            t.join(60)
        # Generous deadlines: the machine may be shared; they bound a wait, they time nothing.
        wait_until(
            lambda: applied_count(fresh, positions) == 80 * shared_replicas(fresh),
            timeout=120,
            what="every write applied",
        )
        fire(fresh, [(r, p) for r in ("fast", "slow") for p in positions])  # late: all applied already
        # (the other shared replicas get their own tasks; duplicates go to the two above)
        wait_until(
            lambda: applies_in_flight(fresh, positions) == 0, timeout=120, what="every task, duplicate and late, to run"
        )
    finally:
        fresh.stack.stop("worker2")
    after = dict(fresh.query("SELECT name, applies FROM store_replica WHERE stream = ''"))
    # Counted applies: a delivery applied twice would count twice here, whatever the rows say.
    assert {name: after[name] - before[name] for name in after} == dict.fromkeys(after, 80)
    ordered = [name for (name,) in fresh.query("SELECT name FROM store_replica WHERE stream = '' AND ordered")]
    for replica in ordered:
        order = [
            p
            for (p,) in fresh.query(
                "SELECT event_id FROM store_delivery WHERE replica_id = ? AND event_id >= ? ORDER BY apply_seq",
                (replica, min(positions)),
            )
        ]
        assert order == sorted(positions), f"{replica} applied out of log order"
    assert fresh.query("SELECT checkpoint FROM store_replica WHERE stream = '' ORDER BY name") == [
        (max(positions),)
    ] * shared_replicas(fresh)
