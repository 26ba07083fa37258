"""Seeded delays and the two routes of reorder: a rehearsal at a seed draws every delivery's
delay again the same, and a reordering lag makes three posts in a row show an overtaking."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conference.rehearse import Report, preset
from demos import registry
from demos.catalog.baseball.demo import PAUSE_MS
from demos.catalog.baseball.game import GAME, prefix_scores, score_of
from demos.rehearsal import Verdict, anomaly_shown
from store import lag, tasks
from store.data import ensure_replicas
from store.models import Delivery, LagSettings, Replica
from tests import factories

pytestmark = pytest.mark.django_db
POSITIONS = range(1, 41)


@pytest.fixture(autouse=True)
def replicas():
    ensure_replicas()


def delays(settings: LagSettings, replica: str = "fast") -> list[int]:
    at = Replica.objects.get(pk=replica)
    return [settings.countdown_ms(at, position) for position in POSITIONS]


def test_the_same_seed_draws_the_same_delays_and_another_seed_others():
    one = LagSettings(delay_ms=1000, jitter_ms=2000, reorder=True, seed=1)
    assert delays(one) == delays(LagSettings(delay_ms=1000, jitter_ms=2000, reorder=True, seed=1))
    assert delays(one) != delays(LagSettings(delay_ms=1000, jitter_ms=2000, reorder=True, seed=2))
    # Per replica too: the same write does not wait as long on every replica.
    assert delays(one, "fast") != delays(one, "arrival")
    assert len(set(delays(one))) > len(POSITIONS) // 2


def test_a_seeded_draw_does_not_depend_on_what_was_drawn_before():
    settings, fast = LagSettings(delay_ms=500, jitter_ms=1000, seed=7), Replica.objects.get(pk="fast")
    first = settings.countdown_ms(fast, 12)
    for position in POSITIONS:
        settings.countdown_ms(fast, position)
    assert settings.countdown_ms(fast, 12) == first


def test_unseeded_delays_stay_within_delay_extra_lag_and_jitter():
    slow = factories.replica("slow", extra_lag_ms=300)
    settings = LagSettings(delay_ms=1000, jitter_ms=200)
    drawn = {settings.countdown_ms(slow, position) for position in range(200)}
    assert min(drawn) >= 1300 and max(drawn) <= 1500 and len(drawn) > 1


def test_reorder_holds_every_other_write_back_by_half_to_one_more_delay():
    settings = LagSettings(delay_ms=2000, jitter_ms=0, reorder=True, seed=3)
    drawn = dict(zip(POSITIONS, delays(settings), strict=True))
    assert all(drawn[p] == 2000 for p in POSITIONS if p % 2 == 0)
    assert all(3000 <= drawn[p] <= 4000 for p in POSITIONS if p % 2)


@pytest.mark.parametrize("seed", [None, *range(20)])
def test_at_the_consistent_prefix_preset_three_posts_in_a_row_always_show_an_overtaking(seed):
    """The scenario's posts go out a few hundred ms apart; whichever position the first gets,
    one of the three arrives before the one it follows."""
    changes, _ = preset(registry.get("consistent-prefix").scenario)
    settings = LagSettings(**{k: v for k, v in changes.items() if k != "paused"}, seed=seed)
    arrival, gap = Replica.objects.get(pk="arrival"), 700
    for first in POSITIONS:
        due = [i * gap + settings.countdown_ms(arrival, first + i) for i in range(3)]
        assert due[1] < due[0] or due[2] < due[1], (first, due)


def test_append_draws_each_delivery_from_the_seed_without_another_query():
    factories.lag(delay_ms=800, jitter_ms=900, reorder=True)
    with CaptureQueriesContext(connection) as unseeded:
        factories.write("unseeded")
    factories.lag(seed=42)
    with CaptureQueriesContext(connection) as seeded:
        event = factories.write("seeded")
    assert len(seeded) == len(unseeded)
    settings = LagSettings.load()
    for delivery in Delivery.objects.filter(event=event).select_related("replica"):
        expected = settings.countdown_ms(delivery.replica, event.pk)
        assert delivery.due_at - event.accepted_at == settings.due_after(delivery.replica, event.pk)
        assert (delivery.due_at - event.accepted_at).total_seconds() * 1000 == expected


def test_heal_draws_a_seeded_delivery_the_same_delay_from_its_own_now():
    factories.lag(delay_ms=800, jitter_ms=900, seed=5, paused=True)
    event = factories.write("queued in a partition")
    settings = LagSettings.load()
    before = timezone.now()
    tasks.heal()
    after = timezone.now()
    for delivery in Delivery.objects.filter(event=event).select_related("replica"):
        waits = settings.due_after(delivery.replica, event.pk)
        assert before + waits <= delivery.due_at <= after + waits


def test_the_lag_command_sets_and_clears_the_seed():
    call_command("lag", "--seed", "9")
    assert LagSettings.load().seed == 9 and lag.describe()["seed"] == 9
    call_command("lag", "--no-seed")
    assert LagSettings.load().seed is None
    with pytest.raises(CommandError):
        call_command("lag", "--seed", "-1")
    assert LagSettings.load().seed is None


def test_a_report_gives_one_object_per_pane_with_whether_it_showed_its_anomaly():
    report = Report(
        registry.get("monotonic-reads"),
        [
            Verdict("naive", True, "read in turn"),
            Verdict("naive", True, "went back in time", anomaly=True),
            Verdict("trick", True, "never went back"),
            Verdict("trick", False, "missed a comment"),
        ],
        1.0,
    )
    assert report.panes() == [
        {"demo": "monotonic-reads", "pane": "naive", "ok": True, "anomaly_shown": True},
        {"demo": "monotonic-reads", "pane": "trick", "ok": False, "anomaly_shown": None},
    ]
    quiet = [Verdict("naive", True, "read in turn", anomaly=False)]
    assert anomaly_shown(quiet, "naive") is False and anomaly_shown(quiet, "trick") is None


def test_a_preset_never_partitions_and_splits_the_replicas_lag():
    changes, replicas = preset(registry.get("cap").scenario)
    assert changes["paused"] is False and "replica_slow" not in changes
    changes, replicas = preset(registry.get("monotonic-reads").scenario)
    assert replicas == {"slow": 8000, "medium": 1500} and changes["delay_ms"] == 500
    lag.update(changes, replicas)  # the control panel's own path accepts it whole


@pytest.mark.parametrize("seed", [None, *range(10)])
def test_at_the_baseball_preset_a_score_that_never_was_lasts_longer_than_between_two_reads(seed):
    """Play writes a run every 400 ms (and a request); the eventual reader reads every 500 ms
    (and a request): at the preset, the arrival replica holds a score the game never had for
    longer than that, whichever position the game starts at."""
    changes, _ = preset(registry.get("baseball").scenario)
    settings = LagSettings(**{k: v for k, v in changes.items() if k != "paused"}, seed=seed)
    arrival, gap, real = Replica.objects.get(pk="arrival"), PAUSE_MS + 100, set(prefix_scores(len(GAME)))
    for first in POSITIONS:
        due = [i * gap + settings.countdown_ms(arrival, first + i) for i in range(len(GAME))]
        moments = sorted(due)
        longest = 0
        for start, end in zip(moments, moments[1:], strict=False):
            held = [(first + i, *GAME[i]) for i in range(len(GAME)) if due[i] <= start]
            if score_of(held) not in real:
                longest = max(longest, end - start)
        assert longest >= 800, (first, due)


@pytest.mark.parametrize("read_every_ms", [1000, 1300, 1600])
def test_at_the_monotonic_reads_preset_some_naive_read_goes_back_however_the_reads_fall(read_every_ms):
    """The naive pane reads fast, medium, slow in turn; the scenario writes three comments a few
    hundred ms apart. At the preset, whatever the reads' phase and turn, one read shows less
    than the read before it (reads a second apart, or slower on a busy laptop)."""
    changes, extra = preset(registry.get("monotonic-reads").scenario)
    settings = LagSettings(**{k: v for k, v in changes.items() if k != "paused"})
    rotation = [r.name for r in Replica.objects.filter(ordered=True, stream="").order_by("extra_lag_ms", "name")]
    lags = {name: settings.delay_ms + extra.get(name, Replica.objects.get(pk=name).extra_lag_ms) for name in rotation}
    writes = [0, 100, 200]
    for phase in range(0, 3 * read_every_ms, 50):
        for turn in range(len(rotation)):
            reads = []
            for k in range(-3, 20):
                at, replica = phase + k * read_every_ms, rotation[(turn + k) % len(rotation)]
                reads.append(sum(1 for w in writes if w + lags[replica] <= at))
            assert any(b < a for a, b in zip(reads, reads[1:], strict=False)), (phase, turn)
