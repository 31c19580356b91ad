"""The real OpenGL view under Xvfb + Mesa (subprocess: the test process is offscreen)."""

from __future__ import annotations

import pytest

from tests.ui.xvfb import run_gl_script, xvfb  # noqa: F401 - fixture

pytestmark = pytest.mark.gl


def test_gl_view_draws_orbits_and_uses_lod_while_moving(xvfb: str) -> None:  # noqa: F811
    out = run_gl_script(xvfb, "gl_viewer_script", "300000")
    assert out["gl_available"] is True
    assert out["first_frame_seen"], out
    assert out["triangles"] >= 290_000
    assert out["center_lit"], "the part is not visible in the middle of the view"
    assert out["top_pitch"] == 90.0
    assert out["center_lit_top"]
    assert out["yaw_changed"]
    assert out["lod_while_moving"], "the simplified copy is not used while orbiting"
    assert out["full_when_still"], "the full mesh is not drawn again once still"


def test_prepare_page_paints_a_big_part_light_first_then_full(xvfb: str) -> None:  # noqa: F811
    out = run_gl_script(xvfb, "gl_prepare_script", "450000", timeout=300)
    assert out["gl"] and out["first_frame"], out
    assert out["first_frame_was_lod"] is True, "the first frame should use the light copy"
    assert out["full_uploaded"] and out["still_draws_full"]
    assert out["report"] and out["triangles_in_report"] >= 440_000
    assert out["still_kind"] == "full" and "simplified" not in out["detail"]


@pytest.mark.slow
def test_prepare_page_shows_a_part_too_big_to_draw_whole_decimated_when_still(
        xvfb: str) -> None:  # noqa: F811
    out = run_gl_script(xvfb, "gl_prepare_script", "1200000", timeout=900)
    assert out["first_frame"] and out["report"], out
    assert out["still_decimated"] and out["still_draws_full"], out
    assert out["uploaded"] <= 1.25 * (1_000_000 + 200_000), out
    assert "triangles (shown simplified to" in out["detail"], out


def test_a_narrow_view_keeps_the_part_and_a_big_part_is_decimated_when_still(
        xvfb: str) -> None:  # noqa: F811
    out = run_gl_script(xvfb, "gl_view_quality_script", timeout=300)
    assert out["drawn"], out
    assert out["clipped_when_narrow"] is False, out
    assert "quick preview" in out["stand_in_text"] and "moving" not in out["stand_in_text"]
    assert out["still_is_decimated"], out
    assert out["still_text"].startswith("3,000,000 triangles (shown simplified to"), out
    assert out["uploaded"] == out["decimated_count"], out


def test_copies_arriving_during_an_orbit_go_up_once_the_view_is_still(
        xvfb: str) -> None:  # noqa: F811
    """Uploading a finer moving copy or the decimated still copy in the middle of an
    orbit stalls the GUI thread for the whole upload (a 20 M-triangle part's copies
    are tens of MB); they wait until the view is still."""
    out = run_gl_script(xvfb, "gl_orbit_uploads_script", timeout=300)
    assert out["shown"] and out["moving"], out
    assert out["uploaded_while_moving"] == out["before"], out
    assert out["drawn_while_moving"] == out["light"], out
    assert out["moving_copy_timed"], out
    assert out["still_again"], out
    assert out["uploaded_when_still"] == out["expected_when_still"], out
    assert out["drawn_when_still"] == out["still_copy"], out
    assert out["moving_copies"] == 2 and out["copies_timed_when_still"], out


def test_features_thinner_than_a_pixel_at_step_seams_do_not_speckle_when_still(
        xvfb: str) -> None:  # noqa: F811
    # box_sides' tabs sit in their slots with a 0.13 mm clearance and stand 0.05 mm
    # proud: at a fitted view both are thinner than a pixel. Drawn with one sample per
    # pixel they show only where they cover a pixel's centre, as dotted lines of dark
    # speckles along the seams (the moving frame); the still frame is multisampled.
    out = run_gl_script(xvfb, "gl_seams_script", timeout=180)
    for name in ("box_sides.STEP", "featuretype.STEP"):
        part = out[name]
        assert part["drawn"], out
        assert part["moving"] >= 40, out  # the seams are in view and do speckle there
        assert not part["moving_multisampled"], out  # moving frames stay within budget
        assert part["still"] <= 2, out
        assert part["multisampled"], out
    assert out["box_sides.STEP"]["edges_drawn"] > 5_000, out  # W: the face edges
    assert out["box_sides.STEP"]["section_changed"] > 5_000, out  # X: the section
