"""The Prepare page's inspection of a part: problems drawn on it with the report, the
wall-thickness map, measuring, the build plate of the chosen machine, and a report
whose findings frame their place in the 3D view.

All mesh work runs in the helper process (``design.inspect_tasks``, named, never
imported here); this class only routes results to the view and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wyntek_desktop.ui.pages.prepare import PreparedFile, PreparePage

INSPECT = "wyntek_desktop.design.inspect_tasks:"
#: the report's finding codes that have problem geometry (as ``design.problems``)
FINDING_KIND = {"not_watertight": "open", "non_manifold_edges": "non_manifold",
                "inconsistent_winding": "inverted", "inverted_normals": "inverted",
                "degenerate_faces": "degenerate"}
#: up to this many triangles the thickness map is made with the report; bigger parts
#: get it when it is asked for (T), as it takes seconds per million triangles
AUTO_THICKNESS_TRIANGLES = 2_000_000


@dataclass
class _Inspected:
    problems: Any = None       # design.problems.ProblemOverlay
    thickness: Any = None      # design.inspect_tasks.ThicknessView
    thickness_key: tuple[Any, ...] | None = None  # (scale, minimum wall) it was made for


class PartInspector:
    def __init__(self, page: PreparePage) -> None:
        self.page = page
        self.files: dict[Path, _Inspected] = {}
        self.problems_shown_at: float | None = None  # perf_counter when last handed over
        page.report.linked = page.view.gl is not None
        page.report.finding_activated.connect(self.frame_finding)
        page.spec.changed.connect(self._material_changed)
        gl = page.view.gl
        if gl is not None:
            gl.pick_requested.connect(self._pick)
            gl.tools_changed.connect(self._tools_changed)

    # -- the report and its problems ------------------------------------------------
    @property
    def check_target(self) -> str:
        """What the page runs to check a file: the report with its problems' geometry."""
        return INSPECT + "check"

    @property
    def view_meshes_target(self) -> str:
        """What makes the view's decimated copies: also lighter moving ones."""
        return INSPECT + "view_meshes"

    def checked(self, pf: PreparedFile, result: Any) -> Any:
        """A check's result: keep the problems, draw them if the file is shown; the
        report goes on to the page."""
        state = self.files.setdefault(pf.path, _Inspected())
        state.problems = getattr(result, "problems", None)
        if self.page._shown_path == pf.path:
            self._show_problems(state)
        return getattr(result, "report", result)

    def _show_problems(self, state: _Inspected) -> None:
        import time
        overlay = state.problems
        if overlay is None:
            self.page.view.set_problems({}, {})
            return
        self.page.view.set_problems(overlay.view_geometry(), overlay.counts)
        self.problems_shown_at = time.perf_counter()

    def report_shown(self, pf: PreparedFile) -> None:
        """The page shows ``pf``'s report: add what is known of its walls, and measure
        them if not yet done for this scale and material."""
        report = pf.report
        if report is None or getattr(report, "mesh", None) is None:
            return
        state = self.files.setdefault(pf.path, _Inspected())
        key = (pf.scale, self._min_wall())
        if state.thickness is not None and state.thickness_key == key:
            self.page.report.set_thickness(report, state.thickness)
            return
        if report.mesh.triangles > AUTO_THICKNESS_TRIANGLES and not self._asked_for_map():
            self.page.report.set_thickness(report, "not measured yet for a part this big: "
                                                   "press T in the 3D view to measure")
            return
        self._measure(pf, key)

    def _measure(self, pf: PreparedFile, key: tuple[Any, ...]) -> None:
        self.page.report.set_thickness(pf.report, "measuring…")
        self.page.services.call_in_process(
            INSPECT + "thickness", pf.path, pf.scale, key[1],
            on_result=lambda view, pf=pf, key=key: self._got_thickness(pf, key, view),
            on_error=lambda err, pf=pf: self.page.report.set_thickness(
                pf.report, f"could not be measured: {err}"),
            latest="thickness")

    def _got_thickness(self, pf: PreparedFile, key: tuple[Any, ...], view: Any) -> None:
        if pf not in self.page.files:
            return
        state = self.files.setdefault(pf.path, _Inspected())
        state.thickness, state.thickness_key = view, key
        self.page.report.set_thickness(pf.report, view)
        if self.page._shown_path == pf.path:
            self._show_thickness(state)

    def _show_thickness(self, state: _Inspected) -> None:
        view = state.thickness
        if view is None:
            self.page.view.set_thickness({}, [])
            return
        self.page.view.set_thickness({"full": view.full, "still": view.still,
                                      "moving": view.moving}, view.legend)

    def mesh_shown(self, path: Path) -> None:
        """The view has just been given ``path``'s mesh: draw what is known about it."""
        state = self.files.get(path)
        self._material_changed()
        if state is not None:
            self._show_problems(state)
            self._show_thickness(state)

    # -- framing --------------------------------------------------------------------
    def frame_finding(self, code: str) -> None:
        """Frame a finding's place in the 3D view (the whole part when it has none)."""
        pf = self.page.current()
        state = self.files.get(pf.path) if pf is not None else None
        box = None
        if state is not None and code in FINDING_KIND and state.problems is not None:
            box = state.problems.boxes.get(FINDING_KIND[code])
            self._switch_on("problems")
        elif state is not None and code == "thin_walls" and state.thickness is not None:
            box = state.thickness.thin_bounds
            self._switch_on("thickness")
        if box is not None:
            self.page.view.frame_box(*box)
        else:
            self.page.view.fit()
        if self.page.view.gl is not None:
            self.page.view.gl.setFocus()

    def _switch_on(self, tool: str) -> None:
        if self.page.view.gl is not None and not self.page.view.gl.tool_on(tool):
            self.page.view.gl.set_tool(tool, True)

    # -- tools ----------------------------------------------------------------------
    def _min_wall(self) -> float | None:
        material = self.page.spec.selected_material()
        value = getattr(material, "min_wall_mm", None)
        return float(value) if value else None

    def _material_changed(self) -> None:
        material = self.page.spec.selected_material()
        self.page.view.set_build_volume(getattr(material, "build_volume_mm", None))

    def _asked_for_map(self) -> bool:
        gl = self.page.view.gl
        return bool(gl is not None and gl.show_thickness)

    def _tools_changed(self) -> None:
        """Thickness switched on for a big part not measured yet: measure it now."""
        pf = self.page.current()
        if pf is None or pf.report is None or not self._asked_for_map():
            return
        state = self.files.setdefault(pf.path, _Inspected())
        key = (pf.scale, self._min_wall())
        if state.thickness is None or state.thickness_key != key:
            if getattr(self, "_measuring", None) != (pf.path, key):
                self._measuring = (pf.path, key)
                self._measure(pf, key)

    def _pick(self, origin: tuple[float, ...], direction: tuple[float, ...],
              snap: float) -> None:
        pf = self.page.current()
        if pf is None or self.page._shown_path != pf.path:
            return
        self.page.services.call_in_process(
            INSPECT + "pick", pf.path, pf.scale, origin, direction, snap,
            on_result=self.page.view.add_measure_point,
            on_error=lambda err: self.page.show_error(f"Could not pick a point: {err}"),
            latest="pick")
