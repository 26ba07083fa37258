"""Recorded runs: what the store announces is buffered in Redis, grouped into runs per demo,
kept to a bounded number, listed, replayed and exported as one file."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from runs import export, recorder
from runs.models import Run
from showcase.redis_client import redis_client
from store import lag, projector, signals
from store.data import ensure_replicas
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_buffer(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # no launcher's restarts but the ones a test writes
    redis_client().delete(recorder.BUFFER, recorder.LAG_KEY, recorder.PRESENTING_KEY, recorder.RESTARTS_KEY)
    ensure_replicas()


def entry(t: int, kind: str, stream: str = "optimistic", **fields) -> dict:
    return {"t": t, "k": kind, "s": stream, **fields}


def settle(replica: str, event) -> None:
    settled = projector.apply(replica, event.pk)
    signals.announce(signals.settled, replica=replica, deliveries=settled)


def test_a_write_costs_the_request_a_buffered_entry_and_no_run_until_the_flush():
    factories.write("first", stream="optimistic")
    assert Run.objects.count() == 0
    assert redis_client().llen(recorder.BUFFER) == 1
    assert recorder.flush() == 1
    assert redis_client().llen(recorder.BUFFER) == 0


def test_writes_on_a_demo_are_one_run_with_each_replicas_applies_and_the_push():
    first = factories.write("first", stream="optimistic", session_key="s1")
    second = factories.write("<b>second</b>", stream="optimistic", session_key="s1")
    settle("fast", second)  # an ordered replica applies both, in log order
    settle("slow", first)
    recorder.flush()
    run = Run.objects.get()
    assert (run.demo, run.kind, run.writes) == ("optimistic", Run.WRITES, 2)
    kinds = [(e["k"], e.get("r"), e.get("pos")) for e in run.events]
    assert kinds[:2] == [("accepted", None, first.pk), ("accepted", None, second.pk)]
    assert ("applied", "fast", first.pk) in kinds and ("applied", "slow", first.pk) in kinds
    # The optimistic page shows the fast replica live: its applies were pushed, the slow one's not.
    assert ("pushed", "fast", second.pk) in kinds and ("pushed", "slow", first.pk) not in kinds
    assert run.lag["delay_ms"] == lag.describe()["delay_ms"] and run.seed >= 0


def test_a_rejection_is_recorded_with_its_reason():
    factories.lag(failure_rate=1.0)
    event = factories.write("refused", stream="optimistic")
    settle("fast", event)
    recorder.flush()
    rejected = [e for e in Run.objects.get().events if e["k"] == "rejected"]
    assert rejected and rejected[0]["reason"]


def test_a_new_run_begins_after_an_idle_gap_and_late_applies_join_the_run_of_their_write():
    t = recorder.now_ms()
    gap = recorder.IDLE_GAP_MS
    recorder.record(
        entry(t, "accepted", pos=1, key="a"),
        entry(t + 2 * gap, "applied", pos=1, key="a", r="fast"),  # after a long partition
        entry(t + 3 * gap + 10, "accepted", pos=2, key="b"),
    )
    recorder.flush()
    older, newer = Run.objects.order_by("started_at")
    assert [e["k"] for e in older.events] == ["accepted", "applied"]
    assert [e["key"] for e in newer.events] == ["b"]


def test_a_reset_ends_every_open_run_and_the_next_write_starts_one_of_its_own():
    t = recorder.now_ms()
    recorder.record(entry(t, "accepted", pos=1, key="a"), {"t": t + 1, "k": "reset"})
    recorder.flush()  # the next write comes in another flush, as it would after a reset
    # A late apply of the old write, and a lag change, both after the reset: still not a new write.
    recorder.record(entry(t + 2, "applied", pos=1, key="a", r="slow"), {"t": t + 3, "k": "lag", "lag": lag.describe()})
    recorder.record(entry(t + 4, "accepted", pos=1, key="b"))
    recorder.flush()
    before, after = Run.objects.order_by("started_at")
    assert [e["k"] for e in before.events] == ["accepted", "reset", "applied"]
    assert [e["key"] for e in after.events] == ["b"]


def test_a_lag_change_goes_into_every_open_run_and_a_new_run_starts_with_it():
    t = recorder.now_ms()
    paused = {**lag.describe(), "paused": True}
    recorder.record(
        entry(t, "accepted", "optimistic", pos=1, key="a"),
        entry(t + 1, "accepted", "push", pos=2, key="b"),
        {"t": t + 2, "k": "lag", "lag": paused},
    )
    recorder.flush()
    assert all(run.events[-1] == {"t": t + 2, "k": "lag", "lag": paused} for run in Run.objects.all())
    recorder.record(entry(t + 3, "accepted", "pending", pos=3, key="c"))
    recorder.flush()
    assert Run.objects.get(demo="pending").lag["paused"] is True


def test_the_real_lag_signal_is_recorded_with_the_settings():
    factories.write("before", stream="optimistic")
    lag.update({"paused": True})
    recorder.flush()
    changes = [e for e in Run.objects.get().events if e["k"] == "lag"]
    assert changes and changes[-1]["lag"]["paused"] is True


def test_a_scenario_starts_a_run_of_its_own_with_its_title():
    factories.write("before the scenario", stream="optimistic")
    recorder.scenario_started("optimistic", "Add three to-dos")
    factories.write("Buy more coffee", stream="optimistic")
    recorder.flush()
    writes, scenario = Run.objects.order_by("started_at", "id")
    assert (writes.kind, writes.writes) == (Run.WRITES, 1)
    assert (scenario.kind, scenario.title, scenario.writes) == (Run.SCENARIO, "Add three to-dos", 1)


def test_runs_begun_while_presenting_are_marked_so():
    recorder.presenting(True)
    factories.write("on stage", stream="push")
    recorder.flush()
    assert Run.objects.get().kind == Run.PRESENTING


def test_a_process_restart_from_the_launchers_file_goes_into_the_open_run(settings):
    factories.write("before the kill", stream="optimistic")
    recorder.flush()
    at = datetime.now(UTC).isoformat(timespec="seconds")
    (settings.VAR_DIR / "restarts.json").write_text(json.dumps([{"process": "web", "at": at, "exit": "SIGKILL"}]))
    recorder.flush()
    recorder.flush()  # read again: recorded once
    restarts = [e for e in Run.objects.get().events if e["k"] == "restart"]
    assert [(e["process"], e["exit"]) for e in restarts] == [("web", "SIGKILL")]


def test_only_the_newest_runs_are_kept(monkeypatch):
    monkeypatch.setattr(recorder, "MAX_RUNS", 3)
    t = recorder.now_ms()
    recorder.record(*(entry(t + i * 2 * recorder.IDLE_GAP_MS, "accepted", pos=i, key=f"k{i}") for i in range(5)))
    recorder.flush()
    assert sorted(e["key"] for run in Run.objects.all() for e in run.events) == ["k2", "k3", "k4"]


def recorded_run(text: str = "<script>alert(1)</script>") -> Run:
    event = factories.write(text, stream="optimistic", session_key="s1")
    settle("fast", event)
    recorder.flush()
    return Run.objects.get()


def test_the_list_and_the_run_page_show_the_run_for_replay():
    run = recorded_run()
    client = Client()
    listing = client.get("/runs/").content.decode()
    assert f'href="/runs/{run.pk}/"' in listing and "optimistic" in listing
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert "data-replay" in page and 'data-replay-step="back"' in page and 'data-replay-step="forward"' in page
    assert f"data-replay-position>0/{len(run.events)}<" in page
    assert '<script id="run-data" type="application/json">' in page
    assert "<script>alert" not in page  # the text is inside the escaped JSON only
    data = json.loads(re.search(r'<script id="run-data" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data["events"][0]["text"] == "<script>alert(1)</script>"


def test_an_exported_run_is_one_file_that_loads_nothing():
    run = recorded_run()
    html = export.render_file(run)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html), "the file must not fetch anything"
    assert "<script>alert" not in html
    assert "Replay.prototype" in html and "--bg:" in html  # the engine and the styles are inline
    download = Client().get(f"/runs/{run.pk}/export/")
    assert download["Content-Disposition"].startswith("attachment;")


def test_export_run_writes_the_latest_or_a_named_run(tmp_path):
    run = recorded_run("hello")
    call_command("export_run", "--latest", "-o", str(tmp_path / "latest.html"))
    call_command("export_run", str(run.pk), "-o", str(tmp_path / "named.html"))
    assert "data-replay" in (tmp_path / "latest.html").read_text()
    assert (tmp_path / "named.html").read_text().count(run.events[0]["key"]) >= 1


def test_export_run_refuses_a_run_that_does_not_exist(tmp_path):
    with pytest.raises(Exception, match="No run 999"):
        call_command("export_run", "999", "-o", str(tmp_path / "x.html"))


def test_a_demo_page_shows_its_scenarios_guide():
    from demos import registry

    demo = registry.get("optimistic")
    page = Client().get("/demos/optimistic/").content.decode()
    assert "data-guide" in page and demo.scenario.guide[0] in page


def test_the_control_panel_starts_a_scenarios_run_when_presenter_js_names_it():
    staff = factories.staff_client()
    form = {"delay_ms": 3000, "jitter_ms": 0, "failure_rate": 0.2, "scenario": "optimistic"}
    assert staff.post("/control/lag/", form, headers={"HX-Request": "true"}).status_code == 200
    staff.post("/control/lag/", {**form, "scenario": "no-such-demo"}, headers={"HX-Request": "true"})
    factories.write("Buy more coffee", stream="optimistic")
    recorder.flush()
    run = Run.objects.get()
    assert (run.kind, run.title, run.lag["delay_ms"]) == (
        Run.SCENARIO,
        "Add three to-dos at lag 3 s, one in five refused",
        3000,
    )


def test_a_run_at_a_seeded_lag_keeps_that_seed_to_repeat_its_delays():
    lag.update({"seed": 77})
    factories.write("seeded", stream="optimistic")
    recorder.flush()
    run = Run.objects.get()
    assert run.seed == 77 and run.lag["seed"] == 77


def test_every_page_links_to_the_recorded_runs():
    assert '<a href="/runs/">Runs</a>' in Client().get("/").content.decode()
