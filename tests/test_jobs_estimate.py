"""Progress and time left from the runner's events."""

from backend.jobs.estimate import RunEstimate, frames_progress
from backend.jobs.events import Event


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def ev(type_, **kw):
    return Event(type=type_, session_id="s", **kw)


def test_fraction_counts_running_units_and_eta_extrapolates():
    clock = Clock()
    est = RunEstimate(clock)
    first = est.add(ev("unit_started", seq=1, total=4))
    assert first.fraction == 0 and first.eta_s is None
    clock.now += 10
    p = est.add(ev("unit_progress", seq=1, progress=0.5))
    assert p.fraction == 0.125 and p.eta_s == 70.0  # 10 s for 1/8: 70 s for the other 7/8
    clock.now += 10
    p = est.add(ev("unit_finished", seq=1, completed=1, total=4))
    assert p.fraction == 0.25 and p.eta_s == 60.0 and p.completed == 1
    est.add(ev("unit_started", seq=2))
    p = est.add(ev("unit_failed", seq=2))
    assert p.fraction == 0.25


def test_a_resumed_run_extrapolates_from_its_own_start():
    clock = Clock()
    est = RunEstimate(clock)
    est.add(ev("unit_started", seq=7, total=10, completed=5))  # half was done before the pause
    clock.now += 5
    p = est.add(ev("unit_finished", seq=7, completed=6, total=10))
    assert p.fraction == 0.6 and p.eta_s == 20.0  # 5 s per 10 %: 40 % left


def test_frames_progress():
    assert frames_progress(0.5, 1000, 2.0) == (500, 250.0)
    assert frames_progress(1.5, 1000, 0.0) == (1000, 0.0)
