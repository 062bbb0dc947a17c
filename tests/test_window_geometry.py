"""The first window fits the screen it opens on, and a saved position on no screen is dropped
(App/geometry.py fit): checked over generated screens and saved geometries."""

from hypothesis import given, settings
from hypothesis import strategies as st

from App import geometry
from App.geometry import FRAME, Geometry

LAPTOP = (0, 0, 1366, 768)


def inside(g: Geometry, area) -> bool:
    x, y, w, h = area
    return (x <= g.x and y <= g.y and g.x + g.width + FRAME[0] <= x + w
            and g.y + g.height + FRAME[1] <= y + h)


def test_a_1366x768_laptop_gets_the_whole_default_window():
    g = geometry.fit(geometry.clamp(Geometry()), [LAPTOP])
    assert inside(g, LAPTOP) and g.x >= 0 and g.y >= 0
    assert (g.width, g.height) == (1366 - FRAME[0], 768 - FRAME[1])
    assert geometry.minimum_for(g) == (960, 600)


def test_a_saved_position_on_no_screen_is_not_restored():
    saved = Geometry(width=1000, height=700, x=-2400, y=-62)
    g = geometry.fit(saved, [LAPTOP])
    assert inside(g, LAPTOP) and (g.width, g.height) == (1000, 700)
    assert (g.x, g.y) == ((1366 - 1000 - FRAME[0]) // 2, (768 - 700 - FRAME[1]) // 2)


def test_a_saved_position_on_the_second_screen_stays_there():
    right = (1920, 0, 2560, 1440)
    g = geometry.fit(Geometry(width=1440, height=900, x=2100, y=100), [(0, 0, 1920, 1080), right])
    assert (g.x, g.y, g.width, g.height) == (2100, 100, 1440, 900)


areas = st.tuples(st.integers(-5000, 5000), st.integers(-5000, 5000), st.integers(640, 7680),
                  st.integers(480, 4320))
saved = st.builds(Geometry, width=st.integers(-100, 20000), height=st.integers(-100, 20000),
                  x=st.none() | st.integers(-20000, 20000), y=st.none() | st.integers(-20000, 20000))


@settings(deadline=None)  # a loaded shared machine, not a slow function
@given(saved, st.lists(areas, min_size=1, max_size=3))
def test_whatever_was_saved_the_window_opens_whole_on_a_screen(stored, screens):
    g = geometry.fit(geometry.clamp(stored), screens)
    assert any(inside(g, a) for a in screens)
    assert g.width <= geometry.clamp(stored).width and g.height <= geometry.clamp(stored).height
