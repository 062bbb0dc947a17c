"""YouTube chapters: `0:00 Title` lines for a video description. YouTube shows chapters only when
the first starts at 0:00, there are at least three and each is 10 seconds or longer, so scenes
shorter than that join the chapter before them ("Scenes 3-5")."""

from __future__ import annotations

from backend.archive.interchange import InterchangeScene, SceneList
from backend.archive.interchange import timecode as tc

MIN_CHAPTER_S = 10.0


def chapters(scenes: SceneList) -> list[tuple[float, list[InterchangeScene]]]:
    """(start seconds, scenes) per chapter."""
    result: list[tuple[float, list[InterchangeScene]]] = []
    for scene in scenes.scenes:
        if result and (scene.start_time - result[-1][0] < MIN_CHAPTER_S):
            result[-1][1].append(scene)
        else:
            result.append((scene.start_time, [scene]))
    if len(result) > 1 and result[-1][1][-1].end_time - result[-1][0] < MIN_CHAPTER_S:
        start, members = result.pop()
        result[-1][1].extend(members)
    return result


def _title(members: list[InterchangeScene]) -> str:
    numbers = (f"Scene {members[0].number}" if len(members) == 1
               else f"Scenes {members[0].number}-{members[-1].number}")
    groups = {m.group for m in members}
    group = groups.pop() if len(groups) == 1 else None
    return f"{group}: {numbers}" if group else numbers


def write(scenes: SceneList) -> bytes:
    listed = chapters(scenes)
    hours = bool(scenes.scenes) and scenes.scenes[-1].end_time >= 3600
    lines = [f"{tc.clock(0 if i == 0 else start, hours=hours)} {_title(members)}"
             for i, (start, members) in enumerate(listed)]
    return ("\n".join(lines) + "\n").encode("utf-8")
