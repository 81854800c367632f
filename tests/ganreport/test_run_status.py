"""A run's state is derived from summary.json and the heartbeat, not trusted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ganreport import runformat
from ganreport.run_status import Now, derive_status, heartbeat_problem, parse_time, pid_alive

MOMENT = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)
ALIVE = {4242}


def _now(host: str = "trainer-1") -> Now:
    return Now(MOMENT, host, lambda pid: pid in ALIVE)


def _beat(seconds_ago: float, pid: int = 4242, host: str = "trainer-1") -> dict:
    updated = (MOMENT - timedelta(seconds=seconds_ago)).isoformat()
    return {"pid": pid, "hostname": host, "updated_at": updated}


@pytest.mark.parametrize("recorded", ["complete", "diverged"])
def test_finished_states_are_taken_as_written(recorded):
    status = derive_status(recorded, 80, None, _now(), "a", "v1")
    assert status.state == recorded and status.resume is None


def test_running_with_a_fresh_heartbeat_of_a_live_process_is_running():
    status = derive_status("running", 120, _beat(30), _now(), "a", "v1")
    assert (status.state, status.text, status.resume) == ("running", "running", None)


def test_a_fresh_heartbeat_from_another_machine_is_believed():
    status = derive_status("running", 120, _beat(30, pid=1, host="gpu-box"), _now(), "a", "v1")
    assert status.state == "running"


@pytest.mark.parametrize("heartbeat, reason", [
    (None, "no heartbeat.json"),
    (_beat(runformat.HEARTBEAT_STALE_S + 60), "heartbeat stopped 6 min ago"),
    (_beat(10, pid=999), "process 999 on trainer-1 is gone"),
    ({"pid": 4242, "hostname": "trainer-1", "updated_at": "yesterday"}, "no readable updated_at"),
])
def test_running_without_a_live_writer_is_interrupted(heartbeat, reason):
    status = derive_status("running", 120, heartbeat, _now(), "abstract", "v2")
    assert status.state == "interrupted" and reason in status.reason
    assert status.text == "interrupted at step 120"
    assert status.resume == "ganreport train experiments/abstract/v2.yaml --resume"


def test_recorded_interrupted_offers_the_resume_command():
    status = derive_status("interrupted", 40, None, _now(), "a", "v3")
    assert status.text == "interrupted at step 40" and status.resume.endswith("v3.yaml --resume")


def test_an_odd_status_is_unknown():
    assert derive_status("paused", 3, None, _now(), "a", "v1").state == "unknown"
    assert derive_status(None, 3, None, _now(), "a", "v1").state == "unknown"


def test_heartbeat_time_without_offset_is_utc():
    assert parse_time("2026-11-22T12:00:00") == MOMENT
    assert parse_time("2026-11-22T12:00:00Z") == MOMENT
    assert parse_time(12) is None
    assert heartbeat_problem(_beat(0), _now()) == ""


def test_pid_alive_on_this_machine():
    import os

    assert pid_alive(os.getpid())
    assert not pid_alive(0) and not pid_alive(-5)
