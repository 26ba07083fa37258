"""bench/room's reconnect storm, on a small room: kill -9 every web process with the phones on
the page, and every phone counts as back (its socket open again) and caught up (it has a write
made after the kill), the presenter too; the report says how many were not and why."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.room import Room, storm_report
from bench.room_client import Client, Stats
from tests.conftest import staff_login
from tests.live import start_live

PHONES = 4
PAGE = "/demos/push/"


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    app = start_live(tmp_path_factory.mktemp("storm"), supervised=True, WEB_PROCESSES="2")
    yield app
    app.stack.stop()


@pytest.mark.integration
def run_apart(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API (the browser tests of the same
    session) keeps an event loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_every_phone_is_back_and_caught_up_after_every_web_process_is_killed(supervised):
    async def storm() -> dict:
        room = Room(supervised, PHONES)
        try:
            await room.presenter_login(staff_login(supervised, "presenter"))
            await room.presenter.open(PAGE)
            await room.presenter.post("/follow/lead/", {"path": PAGE})
            await room.fill()
            return await room.storm()
        finally:
            await room.close()

    result = run_apart(storm())
    report = "\n".join(storm_report(result))
    assert result["unconnected"].total() == 0, report
    assert len(result["back"]) == PHONES and len(result["caught"]) == PHONES, report
    assert result["never_reopened"] == 0 and result["reopened_behind"] == 0, report
    assert result["presenter_back"] is not None and result["presenter_caught"] is not None, report
    assert result["attempts"] >= PHONES, report  # each phone tried at least once after the kill
    assert f"{PHONES} phones on {PAGE}" in report and "0 never reopened, 0 reopened but not caught up" in report


def test_a_phone_whose_page_load_got_no_answer_is_left_without_a_socket_and_says_so():
    """As a browser whose navigation was cut by the kill is left on its error page."""

    async def cut() -> tuple[str, list]:
        async def hang_up(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            writer.close()  # killed while answering: no status line, nothing

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            phone = Client(f"http://127.0.0.1:{port}", Stats())
            await phone.open(PAGE)
            return phone.state(), phone.tasks

    state, tasks = run_apart(cut())
    assert state == "its page load failed (no answer): no page, no socket"
    assert tasks == []
