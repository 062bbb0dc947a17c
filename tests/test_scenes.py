"""Cut lists as the editor sends them, over generated cases: a list is refused (InputError on
`cuts`) or its scenes cover every decoded frame exactly once, in order."""

from __future__ import annotations

import random

import pytest

from backend.errors import InputError
from backend.media.scenes import check_cuts, cuts_of, scenes_at_cuts
from backend.media.timeline import FrameTimeline


def timeline(rng: random.Random) -> FrameTimeline:
    """A master of 2-300 frames; now and then numbers skip or repeat (variable frame rate)."""
    count = rng.randint(2, 300)
    numbers, n = [], rng.choice([0, 0, 3])
    for _ in range(count):
        numbers.append(n)
        n += rng.choice([1, 1, 1, 1, 2]) if rng.random() < 0.2 else 1
    origin = rng.choice([0.0, 1.5])
    return FrameTimeline(numbers, [origin + k / 24 for k in range(count)], origin)


@pytest.mark.parametrize("seed", range(300))
def test_cuts_make_a_partition_or_are_refused(seed):
    rng = random.Random(seed)
    line = timeline(rng)
    first, last = line.numbers[0], line.numbers[-1]
    cuts = [rng.randint(first - 3, last + 3) for _ in range(rng.randint(0, 12))]
    outside = [c for c in cuts if not first < c <= last]
    twice = len(set(cuts)) != len(cuts)
    bounds = sorted(set(cuts))
    empty = any(not any(a <= n <= b for n in line.numbers)
                for a, b in zip([first, *bounds], [c - 1 for c in bounds] + [last]))
    if outside or twice or empty:
        with pytest.raises(InputError) as err:
            check_cuts(cuts, line)
        assert err.value.field == "cuts"
        return
    ordered = check_cuts(cuts, line)
    scenes = scenes_at_cuts(ordered, line)
    assert cuts_of(scenes) == sorted(cuts) and len(scenes) == len(cuts) + 1
    assert [s.number for s in scenes] == list(range(1, len(scenes) + 1))
    covered = [i for s in scenes for i in range(s.start_index, s.end_index + 1)]
    assert covered == list(range(len(line)))  # every decoded frame in exactly one scene, in order
    assert scenes[0].start_frame == first and scenes[-1].end_frame == last
    for a, b in zip(scenes, scenes[1:]):
        assert a.end_frame + 1 == b.start_frame and a.end_time == b.start_time
    assert all(s.start_index <= s.midpoint_index <= s.end_index for s in scenes)
