"""The 3D view: an OpenGL (GLSL 3.3 core) mesh viewer with a software fallback.

Triangles arrive as a float32 array of shape (n, 3, 3) from the design fast path and go
straight into a vertex buffer; faces are shaded flat with one normal per face (made in
a worker). Big meshes get a level of detail: a decimated copy (built in a worker) is
drawn while the user orbits, pans or zooms, and the full mesh once the view has been
still for a moment. Still frames are multisampled, so features thinner than a pixel show
as faint lines rather than speckles.
"""

from __future__ import annotations

import math
import time
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QOffscreenSurface,
    QOpenGLContext,
    QPainter,
    QPixmap,
    QSurfaceFormat,
    QVector3D,
    QVector4D,
    QWheelEvent,
)
from PySide6.QtOpenGL import (
    QOpenGLBuffer,
    QOpenGLFramebufferObject,
    QOpenGLFramebufferObjectFormat,
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLVertexArrayObject,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wyntek_desktop.ui.camera import FOV_DEG, Camera
from wyntek_desktop.ui.viewer_scene import PLATE_RGB, PROBLEM_COLOURS, PROBLEM_WORDS

if TYPE_CHECKING:
    import numpy as np

    from wyntek_desktop.ui.viewer_tools import ViewerTools

GL_FLOAT = 0x1406
GL_TRIANGLES = 0x0004
GL_LINES = 0x0001
GL_DEPTH_TEST = 0x0B71
GL_CULL_FACE = 0x0B44
GL_COLOR_BUFFER_BIT = 0x4000
GL_DEPTH_BUFFER_BIT = 0x0100
GL_POLYGON_OFFSET_FILL = 0x8037
GL_FRAMEBUFFER = 0x8D40
GL_READ_FRAMEBUFFER = 0x8CA8
GL_DRAW_FRAMEBUFFER = 0x8CA9
GL_NEAREST = 0x2600

STILL_DELAY_MS = 160      # after this long without input the full mesh is drawn again
MOVING_BUDGET_MS = 25     # a moving frame should take this long at most: input waits for it
#: samples per pixel of a still frame. Features thinner than a pixel (the clearance
#: between a tab and its slot, a step of a few hundredths of a mm) would otherwise be
#: drawn only where they happen to cover a pixel's centre: dotted lines of speckles
#: along the seams. Moving frames are drawn with one sample, within their budget.
STILL_SAMPLES = 4
#: keys of the inspection tools (the view has focus); X cycles the section's axis and
#: [ ] move it, Esc ends measuring
TOOL_KEYS = {Qt.Key.Key_P: "problems", Qt.Key.Key_T: "thickness", Qt.Key.Key_W: "edges",
             Qt.Key.Key_B: "plate", Qt.Key.Key_M: "measure"}

# Faces are shaded with their own normal (made in a worker, 4 bytes per corner), not
# with screen-space derivatives: those speckle on the thin sliver faces along CAD seams.
_VERTEX = """#version 330 core
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
layout(location = 2) in vec4 colour;
uniform mat4 mvp;
uniform mat4 mv;
flat out vec3 eye_normal;
flat out vec3 face_colour;
out vec3 world;
out vec3 corner;
void main() {
    eye_normal = mat3(mv) * normal;
    face_colour = colour.rgb;
    world = position;
    int c = gl_VertexID % 3;  // triangle soup: the corner's place in its face
    corner = vec3(c == 0, c == 1, c == 2);
    gl_Position = mvp * vec4(position, 1.0);
}
"""
# ``clip``: the section plane (normal, offset); what lies beyond it is cut away.
# ``edges``: face edges from the corner weights (the soup has no shared vertices).
_FRAGMENT = """#version 330 core
flat in vec3 eye_normal;
flat in vec3 face_colour;
in vec3 world;
in vec3 corner;
uniform vec3 color;
uniform int lit;
uniform int per_face;
uniform int clipping;
uniform vec4 clip;
uniform int edges;
out vec4 frag;
void main() {
    if (clipping == 1 && dot(world, clip.xyz) > clip.w) discard;
    vec3 base = per_face == 1 ? face_colour : color;
    if (lit == 0) { frag = vec4(base, 1.0); return; }
    float len = length(eye_normal);
    float d = len > 0.1 ? abs(dot(eye_normal / len, normalize(vec3(0.35, 0.55, 1.0)))) : 0.5;
    vec3 rgb = base * (0.28 + 0.72 * d) + vec3(0.08) * pow(d, 24.0);
    if (edges == 1) {
        vec3 w = fwidth(corner);
        vec3 near = smoothstep(vec3(0.0), w * 1.5, corner);
        rgb = mix(vec3(0.08, 0.09, 0.1), rgb, min(min(near.x, near.y), near.z));
    }
    frag = vec4(rgb, 1.0);
}
"""
GL_BYTE = 0x1400
GL_UNSIGNED_BYTE = 0x1401
GL_LEQUAL = 0x0203
GL_LESS = 0x0201
FRAME_MS = 280           # how long framing a finding takes


def request_gl_format() -> None:
    """Ask for a 3.3 core context (call before the QApplication exists)."""
    fmt = QSurfaceFormat()
    fmt.setVersion(3, 3)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(24)
    QSurfaceFormat.setDefaultFormat(fmt)


@cache
def gl_available() -> bool:
    """True when an OpenGL 3.3 context can be made (not on the offscreen platform)."""
    if QApplication.platformName() in ("offscreen", "minimal"):
        return False
    surface = QOffscreenSurface()
    surface.create()
    ctx = QOpenGLContext()
    ok = ctx.create() and ctx.makeCurrent(surface)
    if ok:
        fmt = ctx.format()
        ok = (fmt.majorVersion(), fmt.minorVersion()) >= (3, 3)
        ctx.doneCurrent()
    surface.destroy()
    return bool(ok)


def bbox_lines(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The 12 edges of the box as 24 line vertices, then 3 axes (6 vertices)."""
    import numpy as np
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    c = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0),
         (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4),
             (0, 4), (1, 5), (2, 6), (3, 7)]
    pts = [c[i] for e in edges for i in e]
    size = float(max(hi - lo)) * 0.25 or 1.0
    o = (x0, y0, z0)
    for axis in range(3):
        end = list(o)
        end[axis] += size
        pts += [o, tuple(end)]
    return np.asarray(pts, dtype=np.float32)


def face_normals(triangles: np.ndarray) -> np.ndarray:
    """Flat normals as int8 (n, 3, 4), for callers that have no worker-made ones (small
    meshes, tests); the Prepare page gets them from the design worker with the mesh."""
    from wyntek_desktop.design.tasks import flat_normals
    return flat_normals(triangles)


def place_labels(candidates: list[tuple[QPointF, QPointF, str]], metrics: QFontMetrics,
                 area: QRectF) -> list[tuple[QRectF, str]]:
    """Rectangles for edge labels (edge start, edge end, text) that never overlap.

    A label goes beside the middle of its edge; an edge seen end-on (shorter on screen
    than its label) gets none, and a label that would cover one already placed is
    tried on the other side of its edge, then left out.
    """
    placed: list[tuple[QRectF, str]] = []
    for a, b, text in candidates:
        w, h = metrics.horizontalAdvance(text) + 6, metrics.height() + 2
        edge = b - a
        if math.hypot(edge.x(), edge.y()) < min(w, 24):
            continue
        mid = (a + b) / 2
        for dx, dy in ((4, -h - 2), (4, 2), (-w - 4, -h - 2), (-w - 4, 2)):
            rect = QRectF(mid.x() + dx, mid.y() + dy, w, h)
            if area.contains(rect) and not any(rect.intersects(r) for r, _ in placed):
                placed.append((rect, text))
                break
    return placed


class _Data:
    """Triangles waiting for the GL thread, with their per-corner normals."""

    def __init__(self, triangles: np.ndarray, normals: np.ndarray | None) -> None:
        self.triangles = triangles
        self.normals = normals

    @classmethod
    def of(cls, triangles: np.ndarray, normals: np.ndarray | None) -> _Data:
        import numpy as np
        tri = np.asarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
        return cls(tri, normals if normals is not None else face_normals(tri))


class _Mesh:
    """Vertex buffers (positions, normals) + vertex array on the GL side."""

    def __init__(self, data: np.ndarray, normals: np.ndarray | None) -> None:
        import numpy as np
        self.vao = QOpenGLVertexArrayObject()
        self.vao.create()
        self.vao.bind()
        self.vbo = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
        self.vbo.create()
        self.vbo.bind()
        flat = np.ascontiguousarray(data, dtype=np.float32).reshape(-1, 3)
        # the binding takes any buffer (no copy); its stub names only bytes
        self.vbo.allocate(cast(bytes, flat), flat.nbytes)
        self.count = len(flat)
        self.draw_ms: float | None = None  # the last measured draw of this copy alone
        self.nbo: QOpenGLBuffer | None = None
        self.cbo: QOpenGLBuffer | None = None
        if normals is not None:
            packed = np.ascontiguousarray(normals, dtype=np.int8).reshape(-1, 4)
            if len(packed) != len(flat):
                raise ValueError("one normal per corner is needed")
            self.nbo = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
            self.nbo.create()
            self.nbo.bind()
            self.nbo.allocate(cast(bytes, packed), packed.nbytes)

    def bind_attributes(self, program: QOpenGLShaderProgram) -> None:
        self.vao.bind()
        self.vbo.bind()
        program.enableAttributeArray(0)
        program.setAttributeBuffer(0, GL_FLOAT, 0, 3, 12)
        if self.nbo is not None:
            self.nbo.bind()
            program.enableAttributeArray(1)
            program.setAttributeBuffer(1, GL_BYTE, 0, 3, 4)  # normalised to -1..1 by Qt
        self.vao.release()

    def set_colours(self, program: QOpenGLShaderProgram, colours: np.ndarray | None) -> bool:
        """Per-corner colours (uint8 (n, 3, 4)) for this mesh, or None to drop them;
        False when they do not match its corners."""
        import numpy as np
        if self.cbo is not None:
            self.cbo.destroy()
            self.cbo = None
        self.vao.bind()
        if colours is None or colours.size != self.count * 4:
            program.disableAttributeArray(2)
            self.vao.release()
            return colours is None
        packed = np.ascontiguousarray(colours, dtype=np.uint8).reshape(-1, 4)
        self.cbo = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
        self.cbo.create()
        self.cbo.bind()
        self.cbo.allocate(cast(bytes, packed), packed.nbytes)
        program.enableAttributeArray(2)
        program.setAttributeBuffer(2, GL_UNSIGNED_BYTE, 0, 4, 4)  # normalised to 0..1
        self.vao.release()
        return True

    def destroy(self) -> None:
        self.vbo.destroy()
        if self.nbo is not None:
            self.nbo.destroy()
        if self.cbo is not None:
            self.cbo.destroy()
        self.vao.destroy()


class GLMeshView(QOpenGLWidget):
    """Orbit (left drag), pan (right/middle drag or Shift+left), zoom (wheel);
    keys 1 front, 2 back, 3 left, 4 right, 5 top, 6 bottom, 7 iso, F fit; the
    inspection tools' keys are in ``TOOL_KEYS``."""

    first_frame = Signal(float)   # ms from set_mesh() to the first frame showing it
    frame_drawn = Signal(float)   # GL draw time of each frame, ms
    # a click while measuring: ray origin, direction (mm) and how far to snap to a corner
    pick_requested = Signal(tuple, tuple, float)
    tools_changed = Signal()      # a tool was switched (by key or by the tool bar)
    measured = Signal(float)      # the distance between the two measured points, mm

    KEYS = {Qt.Key.Key_1: "front", Qt.Key.Key_2: "back", Qt.Key.Key_3: "left",
            Qt.Key.Key_4: "right", Qt.Key.Key_5: "top", Qt.Key.Key_6: "bottom",
            Qt.Key.Key_7: "iso"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("3D view")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 160)
        self.camera = Camera()
        self.units = "mm"
        self._program: QOpenGLShaderProgram | None = None
        self._uniforms: dict[str, int] = {}  # uniform locations, looked up once
        self._pending: dict[str, _Data | None] = {}
        self._full: _Mesh | None = None             # drawn when still (mesh or decimated)
        self._deferred: _Data | None = None          # full mesh waiting for the 2nd frame
        self._painted_since_set = True
        self._lod: _Mesh | None = None               # drawn while moving
        self._coarser: list[_Mesh] = []              # lighter moving copies, finest first
        self._untimed: list[_Mesh] = []              # moving copies not drawn yet
        self._ms_per_triangle = 0.0                  # measured on the draws
        self._frame_ms = math.inf                    # the quickest frame: its fixed cost
        self._multisampled: QOpenGLFramebufferObject | None = None  # still frames
        self._multisampling = True                   # False once the driver refused it
        self.drew_multisampled = False
        self._lines: _Mesh | None = None
        self.still_kind = "full"                    # 'full', 'stand-in' or 'decimated'
        self._auto_fit = True
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None
        self._triangles = 0
        self._set_at: float | None = None
        self._last_pos = QPointF()
        self.moving = False
        self.last_draw_ms = 0.0
        self.last_upload_ms = 0.0  # of that: putting new data on the GPU
        self.drew_lod = False
        self.drawn_triangles = 0
        self._pending_coarser: list[_Data] = []
        self.gl_error = ""
        self._still = QTimer(self)
        self._still.setObjectName("viewer-still")
        self._still.setSingleShot(True)
        self._still.setInterval(STILL_DELAY_MS)
        self._still.timeout.connect(self._became_still)
        # inspection tools
        self.show_problems = True
        self.show_thickness = False
        self.show_edges = False
        self.show_plate = True
        self.measuring = False
        self.section_axis: str | None = None   # 'x', 'y' or 'z': what lies beyond is cut
        self.section_fraction = 0.5
        self.measure_points: list[tuple[float, float, float]] = []
        self.problem_counts: dict[str, int] = {}
        self._problem_data: dict[str, np.ndarray] | None = None   # waiting for GL
        self._problems: dict[str, _Mesh] = {}
        self._colours: dict[str, np.ndarray] = {}   # thickness colours by copy
        self._colours_dirty = False
        self.thickness_legend: list[tuple[tuple[int, int, int], str]] = []
        self.build_volume: tuple[float, float, float] | None = None
        self._plate: _Mesh | None = None
        self._plate_split = 0
        self._plate_dirty = False
        self._press_pos = QPointF()
        self._frame_from: tuple[QVector3D, float] | None = None
        self._frame_to: tuple[QVector3D, float] | None = None
        self._frame_started = 0.0
        self._framer = QTimer(self)
        self._framer.setObjectName("viewer-frame")
        self._framer.setInterval(15)
        self._framer.timeout.connect(self._frame_step)

    # -- data -------------------------------------------------------------------
    def set_mesh(self, triangles: np.ndarray, lo: np.ndarray | None = None,
                 hi: np.ndarray | None = None, units: str = "mm",
                 lod: np.ndarray | None = None, *, normals: np.ndarray | None = None,
                 lod_normals: np.ndarray | None = None, total: int | None = None,
                 stand_in: bool = False) -> None:
        """Show a mesh. With ``lod`` the first frame draws the light copy (fast first
        paint) and the full mesh is uploaded and drawn on the next frame. ``stand_in``:
        ``triangles`` is a quick copy of a mesh of ``total`` triangles, drawn until
        ``set_still`` brings the decimated still copy. Normals come from a worker
        (``design.tasks.flat_normals``); without them they are made here."""
        import numpy as np
        tri = np.asarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
        if lo is None or hi is None:
            flat = tri.reshape(-1, 3)
            lo, hi = flat.min(axis=0), flat.max(axis=0)
        self._bounds = (np.asarray(lo, np.float64), np.asarray(hi, np.float64))
        self._pending = {"full": _Data.of(tri, normals),
                         "lod": _Data.of(lod, lod_normals) if lod is not None else None}
        self._painted_since_set = False
        self._problem_data = {}
        self.problem_counts = {}
        self._colours = {}
        self._colours_dirty = True
        self.thickness_legend = []
        self.measure_points = []
        self._plate_dirty = True
        self._triangles = int(total) if total else len(tri)
        self.still_kind = "stand-in" if stand_in else "full"
        self.units = units
        self._set_at = time.perf_counter()
        self.camera.set_view("iso")
        self._fit_camera()
        self.update()

    def set_lod(self, triangles: np.ndarray, normals: np.ndarray | None = None,
                coarser: list[tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        """The copy drawn while the view moves, and lighter ones (triangles, normals),
        finest first, for when drawing it takes longer than ``MOVING_BUDGET_MS``."""
        self._pending["lod"] = _Data.of(triangles, normals)
        self._pending_coarser = [_Data.of(t, n) for t, n in coarser or []]
        self.update()

    def set_still(self, triangles: np.ndarray, normals: np.ndarray | None = None) -> None:
        """The decimated copy drawn when still, for meshes too big to draw whole."""
        self._pending["still"] = _Data.of(triangles, normals)
        self.still_kind = "decimated"
        self.update()

    def clear(self) -> None:
        self._pending = {"clear": None}
        self._bounds = None
        self._triangles = 0
        self._problem_data = {}
        self.problem_counts = {}
        self._colours = {}
        self.measure_points = []
        self._plate_dirty = True
        self.update()

    # -- inspection -------------------------------------------------------------------
    def set_problems(self, geometry: dict[str, np.ndarray], counts: dict[str, int]) -> None:
        """Problems drawn over the part: 'open', 'non_manifold' and 'degenerate' as
        line vertices (k, 3), 'inverted' as triangles (k, 3, 3); ``counts`` for the
        legend (exact, even when fewer are drawn)."""
        self._problem_data = {k: v for k, v in geometry.items() if v is not None}
        self.problem_counts = {k: int(v) for k, v in counts.items() if v}
        self.update()

    def set_thickness(self, colours: dict[str, np.ndarray | None],
                      legend: list[tuple[tuple[int, int, int], str]]) -> None:
        """Per-corner colours of the wall-thickness map for the copies drawn: 'full'
        (the mesh as set), 'still' (the decimated still copy), 'moving'."""
        self._colours = {k: v for k, v in colours.items() if v is not None}
        self._colours_dirty = True
        self.thickness_legend = list(legend)
        self.tools_changed.emit()
        self.update()

    @property
    def has_thickness(self) -> bool:
        return bool(self._colours)

    def set_build_volume(self, build_mm: Any) -> None:
        """The chosen machine's build volume (x, y, z mm), drawn as the plate under the
        part; None for none."""
        self.build_volume = (tuple(float(v) for v in build_mm)[:3]  # type: ignore[assignment]
                             if build_mm and len(build_mm) >= 3 else None)
        self._plate_dirty = True
        self.update()

    def set_tool(self, name: str, on: bool) -> None:
        """Switch 'problems', 'thickness', 'edges', 'plate' or 'measure'."""
        attr = {"problems": "show_problems", "thickness": "show_thickness",
                "edges": "show_edges", "plate": "show_plate", "measure": "measuring"}[name]
        setattr(self, attr, bool(on))
        if name == "measure" and not on:
            self.measure_points = []
        self.tools_changed.emit()
        self.update()

    def set_section(self, axis: str | None, fraction: float | None = None) -> None:
        """Cut the part by a plane across ``axis`` at ``fraction`` of its size (0..1);
        what lies beyond (towards +axis) is hidden. None: no section."""
        self.section_axis = axis if axis in ("x", "y", "z") else None
        if fraction is not None:
            self.section_fraction = min(max(float(fraction), 0.0), 1.0)
        self.tools_changed.emit()
        self.update()

    def section_plane(self) -> tuple[tuple[float, float, float], float] | None:
        """The section's plane as (normal, offset): points p with n.p > offset are cut."""
        if self.section_axis is None or self._bounds is None:
            return None
        axis = "xyz".index(self.section_axis)
        lo, hi = self._bounds
        normal = tuple(1.0 if i == axis else 0.0 for i in range(3))
        offset = float(lo[axis] + (hi[axis] - lo[axis]) * self.section_fraction)
        return normal, offset  # type: ignore[return-value]

    def add_measure_point(self, point: tuple[float, float, float] | None) -> None:
        """A point picked on the surface; the third starts a new measurement."""
        if point is None:
            return
        if len(self.measure_points) >= 2:
            self.measure_points = []
        self.measure_points.append(tuple(float(v) for v in point))  # type: ignore[arg-type]
        distance = self.measured_distance()
        if distance is not None:
            self.measured.emit(distance)
        self.update()

    def measured_distance(self) -> float | None:
        if len(self.measure_points) < 2:
            return None
        return math.dist(self.measure_points[0], self.measure_points[1])

    def pick_ray(self, pos: QPointF) -> tuple[tuple[float, float, float],
                                              tuple[float, float, float]]:
        """The ray (origin on the near plane, direction) under a point of the view."""
        aspect = self.width() / max(self.height(), 1)
        mvp = self.camera.projection(aspect) * self.camera.view()
        inverse, _ = mvp.inverted()
        x = 2 * pos.x() / max(self.width(), 1) - 1
        y = 1 - 2 * pos.y() / max(self.height(), 1)
        near = inverse.map(QVector3D(x, y, -1))
        far = inverse.map(QVector3D(x, y, 1))
        d = (far - near).normalized()
        return (near.x(), near.y(), near.z()), (d.x(), d.y(), d.z())

    def pixel_mm(self) -> float:
        """The size of one pixel at the part's centre, mm."""
        return (2 * self.camera.distance * math.tan(math.radians(FOV_DEG / 2))
                / max(self.height(), 1))

    def frame_box(self, lo: Any, hi: Any, animate: bool = True) -> None:
        """Turn the camera to the box (a finding), keeping the direction of view; a box
        much smaller than the part is framed with some of its surroundings."""
        if self._bounds is None:
            return
        part = 0.5 * math.dist(tuple(self._bounds[0]), tuple(self._bounds[1]))
        lo_t = tuple(float(v) for v in lo)
        hi_t = tuple(float(v) for v in hi)
        radius = max(0.5 * math.dist(lo_t, hi_t), part * 0.06, 1e-6)
        centre = QVector3D(*((a + b) / 2 for a, b in zip(lo_t, hi_t, strict=True)))
        probe = Camera(yaw=self.camera.yaw, pitch=self.camera.pitch)
        c = (centre.x(), centre.y(), centre.z())
        probe.fit(tuple(v - radius for v in c), tuple(v + radius for v in c),  # type: ignore[arg-type]
                  self.width() / max(self.height(), 1))
        distance = probe.distance / math.sqrt(3)  # fit() takes the cube's diagonal
        self._auto_fit = False
        if not animate:
            self.camera.target, self.camera.distance = centre, distance
            self.update()
            return
        self._frame_from = (QVector3D(self.camera.target), self.camera.distance)
        self._frame_to = (centre, distance)
        self._frame_started = time.perf_counter()
        self._framer.start()

    @property
    def framing(self) -> bool:
        return self._framer.isActive()

    def _frame_step(self) -> None:
        if self._frame_from is None or self._frame_to is None:
            self._framer.stop()
            return
        f = min((time.perf_counter() - self._frame_started) * 1000 / FRAME_MS, 1.0)
        ease = f * f * (3 - 2 * f)
        (t0, d0), (t1, d1) = self._frame_from, self._frame_to
        self.camera.target = t0 + (t1 - t0) * ease
        self.camera.distance = d0 * (d1 / d0) ** ease if d0 > 0 else d1
        self._interacting()
        if f >= 1.0:
            self._framer.stop()
        self.update()

    @property
    def uploaded_triangles(self) -> int:
        """Triangles on the GPU now (still and moving copies)."""
        return sum(m.count // 3 for m in (self._full, self._lod) if m is not None)

    @property
    def triangle_count(self) -> int:
        return self._triangles

    @property
    def has_lod(self) -> bool:
        return self._lod is not None or self._pending.get("lod") is not None

    @property
    def full_uploaded(self) -> bool:
        return self._full is not None

    # -- view commands ------------------------------------------------------------
    def set_view(self, name: str) -> None:
        self.camera.set_view(name)
        self.fit()

    def fit(self) -> None:
        self._fit_camera()
        self.update()

    def _fit_camera(self) -> None:
        """Fit the part in the view at its current shape; kept fitted through resizes
        until the person pans or zooms."""
        if self._bounds is not None:
            self.camera.fit(tuple(self._bounds[0]), tuple(self._bounds[1]),
                            self.width() / max(self.height(), 1))
        self._auto_fit = True

    def resizeGL(self, w: int, h: int) -> None:
        if self._auto_fit:
            self._fit_camera()

    # -- GL -----------------------------------------------------------------------
    def initializeGL(self) -> None:
        program = QOpenGLShaderProgram(self)
        ok = (program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Vertex, _VERTEX)
              and program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Fragment,
                                                  _FRAGMENT)
              and program.link())
        if not ok:
            self.gl_error = program.log() or "the shaders did not compile"
            return
        self._program = program
        self._uniforms = {name: program.uniformLocation(name)
                          for name in ("mvp", "mv", "lit", "color", "per_face",
                                       "clipping", "clip", "edges")}
        self.context().aboutToBeDestroyed.connect(self._release_gl)

    def _release_gl(self) -> None:
        self.makeCurrent()
        for mesh in (self._full, self._lod, self._lines, self._plate,
                     *self._problems.values()):
            if mesh is not None:
                mesh.destroy()
        for mesh in self._coarser:
            mesh.destroy()
        self._full = self._lod = self._lines = self._plate = None
        self._problems = {}
        self._coarser, self._untimed = [], []
        self._multisampled = None
        self.doneCurrent()

    def _upload_pending(self) -> None:
        if not self._pending or self._program is None:
            return
        if self.moving and set(self._pending) <= {"still", "lod"} and (
                self._lod is not None or "lod" not in self._pending):
            # new copies of the part shown, while a moving copy is drawn: uploading them
            # now would stall the orbit; they go up once the view is still
            return
        pending, self._pending = self._pending, {}
        if "full" in pending or "clear" in pending or "lod" in pending:
            for copy in self._coarser:
                copy.destroy()
            self._coarser, self._untimed = [], []
        if "full" in pending or "clear" in pending:
            for mesh in (self._full, self._lod, self._lines):
                if mesh is not None:
                    mesh.destroy()
            self._full = self._lod = self._lines = None
            self._deferred = None
        full = pending.get("full")
        if full is not None and self._bounds is not None:
            if pending.get("lod") is not None:
                self._deferred = full
            else:
                self._full = self._mesh(full)
            self._lines = self._mesh(_Data(bbox_lines(*self._bounds), None))
        still = pending.get("still")
        if still is not None and (self._full is not None or self._deferred is not None):
            if self._full is not None:
                self._full.destroy()
            self._full, self._deferred = self._mesh(still), None
        lod = pending.get("lod")
        if lod is not None and (self._full is not None or self._deferred is not None):
            if self._lod is not None:
                self._lod.destroy()
            self._lod = self._mesh(lod)
            self._coarser = [self._mesh(data) for data in self._pending_coarser]
            self._untimed = [self._lod, *self._coarser]
        self._pending_coarser = []

    def _upload_extras(self) -> None:
        """Problems, thickness colours and the plate, once their data has changed."""
        import numpy as np
        assert self._program is not None
        if self._problem_data is not None:
            for mesh in self._problems.values():
                mesh.destroy()
            self._problems = {}
            for kind, data in self._problem_data.items():
                if len(data):
                    # drawn unlit: no normals needed
                    flat = np.asarray(data, dtype=np.float32).reshape(-1, 3)
                    self._problems[kind] = self._mesh(_Data(flat, None))
            self._problem_data = None
        if self._colours_dirty:
            still = "still" if self.still_kind == "decimated" else "full"
            for target, key in ((self._full, still), (self._lod, "moving")):
                if target is not None:
                    target.set_colours(self._program, self._colours.get(key))
            self._colours_dirty = self._deferred is not None  # the full mesh comes later
        if self._plate_dirty:
            if self._plate is not None:
                self._plate.destroy()
                self._plate = None
            if self.build_volume is not None and self._bounds is not None:
                from wyntek_desktop.ui.viewer_scene import plate_lines
                lines, self._plate_split = plate_lines(self.build_volume, *self._bounds)
                self._plate = self._mesh(_Data(lines, None))
            self._plate_dirty = False

    def _mesh(self, data: _Data) -> _Mesh:
        mesh = _Mesh(data.triangles, data.normals)
        assert self._program is not None
        mesh.bind_attributes(self._program)
        return mesh

    def paintGL(self) -> None:
        t0 = time.perf_counter()
        f = self.context().functions()
        self._upload_pending()
        if self._deferred is not None and self._painted_since_set and not self.moving:
            self._full, self._deferred = self._mesh(self._deferred), None
            self._colours_dirty = True
        if self._program is not None:
            self._upload_extras()
        self.last_upload_ms = (time.perf_counter() - t0) * 1000
        program = self._program
        target = None
        # the first frame of a new part is drawn at once, multisampled on the next one
        if (program is not None and (self._full is not None or self._lod is not None)
                and not self.moving and self._set_at is None):
            target = self._multisample_target()
        self.drew_multisampled = target is not None
        if target is not None:
            target.bind()
        f.glClearColor(0.16, 0.17, 0.19, 1.0)
        f.glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT)
        if program is None or (self._full is None and self._lod is None):
            self._paint_overlay(None)
            return
        f.glEnable(GL_DEPTH_TEST)
        f.glDisable(GL_CULL_FACE)
        dpr = self.devicePixelRatioF()
        aspect = self.width() / max(self.height(), 1)
        mv = self.camera.view()
        mvp = self.camera.projection(aspect) * mv
        program.bind()
        uniform = self._uniforms
        program.setUniformValue(uniform["mvp"], mvp)
        program.setUniformValue(uniform["mv"], mv)
        copies = [m for m in (self._lod, *self._coarser) if m is not None]
        use_lod = bool(copies) and (self.moving or self._full is None)
        mesh = self._moving_copy(copies) if use_lod else self._full
        assert mesh is not None
        self.drew_lod = mesh is not self._full
        f.glEnable(GL_POLYGON_OFFSET_FILL)
        f.glPolygonOffset(1.0, 1.0)
        plane = self.section_plane()
        program.setUniformValue1i(uniform["clipping"], int(plane is not None))
        if plane is not None:
            (nx, ny, nz), offset = plane
            program.setUniformValue(uniform["clip"], QVector4D(nx, ny, nz, offset))
        program.setUniformValue1i(uniform["lit"], 1)
        program.setUniformValue1i(uniform["edges"], int(self.show_edges))
        program.setUniformValue1i(uniform["per_face"],
                                  int(self.show_thickness and mesh.cbo is not None))
        program.setUniformValue(uniform["color"], QVector3D(0.62, 0.70, 0.80))
        if self._untimed and not self.moving:
            self._time_draw(f, self._untimed.pop(0), target)
        mesh.vao.bind()
        drawing = time.perf_counter()
        f.glDrawArrays(GL_TRIANGLES, 0, mesh.count)
        mesh.vao.release()
        if use_lod:
            f.glFinish()  # the copy's own draw time picks the copy of the next frames
            took = (time.perf_counter() - drawing) * 1000
            mesh.draw_ms = took if mesh.draw_ms is None else 0.5 * (mesh.draw_ms + took)
        f.glDisable(GL_POLYGON_OFFSET_FILL)
        program.setUniformValue1i(uniform["edges"], 0)
        program.setUniformValue1i(uniform["per_face"], 0)
        if self.show_problems and self._problems:
            self._draw_problems(f, program)
        program.setUniformValue1i(uniform["clipping"], 0)
        if self.show_plate and self._plate is not None:
            program.setUniformValue1i(uniform["lit"], 0)
            self._plate.vao.bind()
            program.setUniformValue(uniform["color"], QVector3D(*PLATE_RGB))
            f.glDrawArrays(GL_LINES, 0, self._plate_split)
            program.setUniformValue(uniform["color"], QVector3D(*(c * 0.6 for c in PLATE_RGB)))
            f.glDrawArrays(GL_LINES, self._plate_split, self._plate.count - self._plate_split)
            self._plate.vao.release()
        if self._lines is not None:
            program.setUniformValue1i(uniform["lit"], 0)
            self._lines.vao.bind()
            program.setUniformValue(uniform["color"], QVector3D(0.95, 0.75, 0.25))
            f.glDrawArrays(GL_LINES, 0, 24)
            f.glDisable(GL_DEPTH_TEST)  # the axes lie on box edges: draw them on top
            for i, rgb in enumerate(((0.9, 0.2, 0.2), (0.2, 0.8, 0.2), (0.3, 0.4, 1.0))):
                program.setUniformValue(uniform["color"], QVector3D(*rgb))
                f.glDrawArrays(GL_LINES, 24 + 2 * i, 2)
            self._lines.vao.release()
        program.release()
        f.glDisable(GL_DEPTH_TEST)
        if target is not None:
            self._resolve(target)
        f.glFinish()  # so the measured time is the real draw time
        self.last_draw_ms = (time.perf_counter() - t0) * 1000
        # a frame costs a fixed part (the quickest seen) and a part per triangle; only
        # frames of one sample (as moving ones are) count: multisampling costs per pixel
        if target is None:
            self._frame_ms = min(self._frame_ms, self.last_draw_ms)
        if target is None and mesh.count >= 3 * 10_000:
            rate = max(self.last_draw_ms - self._frame_ms, 0.0) / (mesh.count // 3)
            self._ms_per_triangle = (rate if not self._ms_per_triangle
                                     else 0.5 * (self._ms_per_triangle + rate))
        self.drawn_triangles = mesh.count // 3
        del dpr
        self._paint_overlay(mvp)
        self.frame_drawn.emit(self.last_draw_ms)
        if self._set_at is not None:
            self.first_frame.emit((time.perf_counter() - self._set_at) * 1000)
            self._set_at = None
        self._painted_since_set = True
        if (self._deferred is not None or self._untimed) and not self.moving:
            self.update()  # the full mesh goes up, or a moving copy is timed, next frame
        elif target is None and not self.moving and self._multisampling:
            self.update()  # a still frame drawn with one sample: smooth it next

    def _multisample_target(self) -> QOpenGLFramebufferObject | None:
        """The multisampled frame buffer of the view's size that still frames are drawn
        into, or None when the driver has none (the frame is then drawn directly)."""
        if not self._multisampling:
            return None
        dpr = self.devicePixelRatioF()
        size = QSize(max(round(self.width() * dpr), 1), max(round(self.height() * dpr), 1))
        if self._multisampled is not None and self._multisampled.size() == size:
            return self._multisampled
        self._multisampled = None  # the old one is freed with its Python object
        fmt = QOpenGLFramebufferObjectFormat()
        fmt.setSamples(STILL_SAMPLES)
        fmt.setAttachment(QOpenGLFramebufferObject.Attachment.CombinedDepthStencil)
        target = QOpenGLFramebufferObject(size, fmt)
        if not target.isValid() or target.format().samples() < 2:
            self._multisampling = False
            QOpenGLFramebufferObject.bindDefault()
            return None
        self._multisampled = target
        return target

    def _resolve(self, target: QOpenGLFramebufferObject) -> None:
        """Average the samples of the multisampled frame into the view's own buffer,
        and draw on in that (the labels are painted there)."""
        f = self.context().extraFunctions()
        w, h = target.width(), target.height()
        f.glBindFramebuffer(GL_READ_FRAMEBUFFER, target.handle())
        f.glBindFramebuffer(GL_DRAW_FRAMEBUFFER, self.defaultFramebufferObject())
        f.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h, GL_COLOR_BUFFER_BIT, GL_NEAREST)
        f.glBindFramebuffer(GL_FRAMEBUFFER, self.defaultFramebufferObject())

    def _time_draw(self, f: Any, copy: _Mesh,
                   target: QOpenGLFramebufferObject | None) -> None:
        """Draw a moving copy once, unseen, while the view is still: the time per
        triangle of whole frames misjudges a copy's first draws (a 180 k copy took
        62 ms where 25 were predicted), and a misjudged first moving frame stalls."""
        f.glBindFramebuffer(GL_FRAMEBUFFER, self.defaultFramebufferObject())  # 1 sample
        copy.vao.bind()
        started = time.perf_counter()
        f.glDrawArrays(GL_TRIANGLES, 0, copy.count)
        f.glFinish()
        copy.draw_ms = (time.perf_counter() - started) * 1000
        copy.vao.release()
        f.glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT)
        if target is not None:
            target.bind()

    def _moving_copy(self, copies: list[_Mesh]) -> _Mesh:
        """The finest moving copy that draws within the budget on this machine: by its
        own draws once it has been drawn, else by the time per triangle of the frames."""
        rate = self._ms_per_triangle
        fixed = 0.0 if math.isinf(self._frame_ms) else self._frame_ms
        for mesh in copies:
            if mesh.draw_ms is not None:
                if fixed + mesh.draw_ms <= MOVING_BUDGET_MS:
                    return mesh
            elif not rate or fixed + mesh.count // 3 * rate <= MOVING_BUDGET_MS:
                return mesh
        return copies[-1]

    def _draw_problems(self, f: Any, program: QOpenGLShaderProgram) -> None:
        """Inverted faces filled, edges and marks as lines: first dimmed where the part
        hides them (so a hole at the back still shows), then bright where seen."""
        uniform = self._uniforms
        program.setUniformValue1i(uniform["lit"], 0)
        f.glDepthFunc(GL_LEQUAL)
        inverted = self._problems.get("inverted")
        if inverted is not None:
            program.setUniformValue(uniform["color"], QVector3D(*PROBLEM_COLOURS["inverted"]))
            inverted.vao.bind()
            f.glDrawArrays(GL_TRIANGLES, 0, inverted.count)
            inverted.vao.release()
        f.glLineWidth(2.5)
        for hidden in (True, False):
            if hidden:
                f.glDisable(GL_DEPTH_TEST)
            else:
                f.glEnable(GL_DEPTH_TEST)
            for kind in ("open", "non_manifold", "degenerate"):
                mesh = self._problems.get(kind)
                if mesh is None:
                    continue
                rgb = PROBLEM_COLOURS[kind]
                program.setUniformValue(uniform["color"],
                                        QVector3D(*(c * (0.45 if hidden else 1.0) for c in rgb)))
                mesh.vao.bind()
                f.glDrawArrays(GL_LINES, 0, mesh.count)
                mesh.vao.release()
        f.glLineWidth(1.0)
        f.glEnable(GL_DEPTH_TEST)
        f.glDepthFunc(GL_LESS)

    def _project(self, mvp: Any, p: tuple[float, float, float]) -> QPointF | None:
        v = mvp.map(QVector3D(*p))
        if not -1 <= v.z() <= 1:
            return None
        return QPointF((v.x() + 1) / 2 * self.width(), (1 - v.y()) / 2 * self.height())

    def _paint_overlay(self, mvp: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        font = QFont(self.font())
        painter.setFont(font)
        painter.setPen(QColor(230, 230, 230))
        if self._bounds is None or mvp is None:
            painter.drawText(self.rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.gl_error or "Open a design file to see it here")
            painter.end()
            return
        lo, hi = self._bounds
        size = hi - lo
        u = self.units
        painter.drawText(10, self.height() - 28,
                         f"{size[0]:.2f} × {size[1]:.2f} × {size[2]:.2f} {u}")  # noqa: RUF001
        painter.drawText(10, self.height() - 10, self.detail_text())
        painter.setPen(QColor(245, 200, 90))
        for rect, text in self.dimension_labels(mvp, painter.fontMetrics()):
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        self._paint_measurement(painter, mvp)
        self._paint_legend(painter)
        painter.end()

    def legend_rows(self) -> list[tuple[tuple[int, int, int], str]]:
        """What the legend in the view's corner says, top to bottom."""
        rows: list[tuple[tuple[int, int, int], str]] = []
        if self.show_problems:
            for kind in ("open", "non_manifold", "inverted", "degenerate"):
                if self.problem_counts.get(kind):
                    r, g, b = (int(c * 255) for c in PROBLEM_COLOURS[kind])
                    rows.append(((r, g, b), f"{PROBLEM_WORDS[kind]}: "
                                            f"{self.problem_counts[kind]:,}"))
        if self.show_thickness and self.thickness_legend:
            rows += self.thickness_legend
        if self.section_axis is not None:
            plane = self.section_plane()
            if plane is not None:
                rows.append(((200, 200, 200), f"Section at {self.section_axis.upper()} = "
                                              f"{plane[1]:.2f} {self.units}"))
        return rows

    def _paint_legend(self, painter: QPainter) -> None:
        rows = self.legend_rows()
        if not rows:
            return
        metrics = painter.fontMetrics()
        h = metrics.height() + 2
        width = max(metrics.horizontalAdvance(text) for _, text in rows) + 30
        painter.fillRect(QRectF(6, 6, width, h * len(rows) + 8), QColor(20, 22, 26, 200))
        for i, (rgb, text) in enumerate(rows):
            y = 10 + i * h
            painter.fillRect(QRectF(12, y + 3, 10, h - 6), QColor(*rgb))
            painter.setPen(QColor(230, 230, 230))
            painter.drawText(QRectF(28, y, width - 24, h),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)

    def _paint_measurement(self, painter: QPainter, mvp: Any) -> None:
        if self.measuring and not self.measure_points:
            painter.setPen(QColor(120, 220, 255))
            painter.drawText(QRectF(0, 8, self.width() - 10, 20),
                             Qt.AlignmentFlag.AlignRight,
                             "Measuring: click two points on the part")
        points = [self._project(mvp, p) for p in self.measure_points]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(120, 220, 255))
        first, second = [*points, None, None][:2]
        if first is not None and second is not None:
            painter.drawLine(first, second)
        for p in points:
            if p is not None:
                painter.setBrush(QColor(120, 220, 255))
                painter.drawEllipse(p, 4, 4)
        distance = self.measured_distance()
        if distance is not None:
            a, b = self.measure_points
            delta = " ".join(f"{axis}{b[i] - a[i]:+.2f}" for i, axis in enumerate("XYZ"))
            text = f"Distance {distance:.3f} {self.units}  ({delta})"
            painter.drawText(QRectF(0, 8, self.width() - 10, 20),
                             Qt.AlignmentFlag.AlignRight, text)

    def detail_text(self) -> str:
        """What is drawn, in words: never 'while moving' when nothing moves."""
        detail = f"{self._triangles:,} triangles"
        if self.drew_lod and self.moving:
            return detail + " (simplified while moving)"
        if self.drew_lod or self.still_kind == "stand-in":
            return detail + " (quick preview; preparing the detailed view…)"
        if self.still_kind == "decimated" and self._full is not None:
            return detail + f" (shown simplified to {self._full.count // 3:,})"
        return detail

    def dimension_labels(self, mvp: Any, metrics: QFontMetrics) -> list[tuple[QRectF, str]]:
        """The X, Y, Z sizes beside their box edges, where they fit without overlapping."""
        if self._bounds is None:
            return []
        lo, hi = self._bounds
        size = hi - lo
        edges = (((lo[0], lo[1], lo[2]), (hi[0], lo[1], lo[2]), size[0], "X"),
                 ((hi[0], lo[1], lo[2]), (hi[0], hi[1], lo[2]), size[1], "Y"),
                 ((hi[0], lo[1], lo[2]), (hi[0], lo[1], hi[2]), size[2], "Z"))
        candidates = []
        for a, b, length, axis in edges:
            pa, pb = self._project(mvp, a), self._project(mvp, b)
            if pa is not None and pb is not None:
                candidates.append((pa, pb, f"{axis} {length:.2f}"))
        return place_labels(candidates, metrics, QRectF(self.rect()))

    # -- input ----------------------------------------------------------------------
    def _interacting(self) -> None:
        self.moving = True
        self._still.start()

    def _became_still(self) -> None:
        self.moving = False
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._last_pos = event.position()
        self._press_pos = event.position()
        self.setFocus()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        moved = event.position() - self._press_pos
        if (self.measuring and event.button() == Qt.MouseButton.LeftButton
                and self._bounds is not None and math.hypot(moved.x(), moved.y()) < 5):
            origin, direction = self.pick_ray(event.position())
            self.pick_requested.emit(origin, direction, self.pixel_mm() * 8)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        delta = event.position() - self._last_pos
        self._last_pos = event.position()
        buttons = event.buttons()
        pan = (buttons & (Qt.MouseButton.RightButton | Qt.MouseButton.MiddleButton)) or (
            buttons & Qt.MouseButton.LeftButton
            and event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if pan:
            self.camera.pan(delta.x(), delta.y(), self.height())
            self._auto_fit = False
        elif buttons & Qt.MouseButton.LeftButton:
            self.camera.orbit(delta.x(), delta.y())
        else:
            return
        self._interacting()
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.camera.zoom(event.angleDelta().y() / 120)
        self._auto_fit = False
        self._interacting()
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        tool = TOOL_KEYS.get(key)
        if key in self.KEYS:
            self.set_view(self.KEYS[key])
        elif key == Qt.Key.Key_F:
            self.fit()
        elif tool is not None:
            self.set_tool(tool, not self.tool_on(tool))
        elif key == Qt.Key.Key_X:
            order = [None, "x", "y", "z"]
            self.set_section(order[(order.index(self.section_axis) + 1) % 4])
        elif key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight) and self.section_axis:
            step = 0.05 if key == Qt.Key.Key_BracketRight else -0.05
            self.set_section(self.section_axis, self.section_fraction + step)
        elif key == Qt.Key.Key_Escape and (self.measure_points or self.measuring):
            self.measure_points = []
            self.set_tool("measure", False)
        else:
            super().keyPressEvent(event)

    def tool_on(self, name: str) -> bool:
        return bool(getattr(self, {"problems": "show_problems", "thickness": "show_thickness",
                                   "edges": "show_edges", "plate": "show_plate",
                                   "measure": "measuring"}[name]))

    def shutdown(self) -> None:
        self._still.stop()
        self._framer.stop()


class ThumbnailView(QLabel):
    """Software fallback: the design's rendered thumbnail and a note why."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Preview image")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 160)
        self.setStyleSheet("background:#292b30;color:#ddd;")
        self.setText("Open a design file to see it here")

    def set_png(self, png: bytes) -> None:
        pix = QPixmap()
        pix.loadFromData(png, "PNG")
        self.setPixmap(pix)

    def clear_image(self, text: str = "Open a design file to see it here") -> None:
        self.clear()
        self.setText(text)


class MeshView(QWidget):
    """The view placed in the Prepare page: GL when possible, a still image otherwise;
    messages (a file without a 3D view, an error) in a wrapping label in its place."""

    first_frame = Signal(float)

    def __init__(self, parent: QWidget | None = None, *, use_gl: bool | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.use_gl = gl_available() if use_gl is None else use_gl
        self.gl: GLMeshView | None = None
        self.thumb: ThumbnailView | None = None
        self.stack = QStackedWidget(self)
        self.message = QLabel(self.stack)
        self.message.setAccessibleName("3D view message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(16)
        self.message.setMinimumSize(200, 160)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.message.setStyleSheet("background:#292b30;color:#ddd;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("3D view note")
        self.tools: ViewerTools | None = None
        if self.use_gl:
            self.gl = GLMeshView(self.stack)
            self.gl.first_frame.connect(self.first_frame)
            self.stack.addWidget(self.gl)
            from wyntek_desktop.ui.viewer_tools import ViewerTools
            self.tools = ViewerTools(self.gl, self)
            self.note.setText("Drag to orbit, right-drag to pan, wheel to zoom; "
                              "1-7 standard views, F fit; P problems, T thickness, "
                              "W edges, B plate, M measure, X section.")
        else:
            self.thumb = ThumbnailView(self.stack)
            self.stack.addWidget(self.thumb)
            self.note.setText("3D view unavailable (no OpenGL on this display): "
                              "showing a still image of the part.")
        self.stack.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        if self.tools is not None:
            layout.addWidget(self.tools)
        layout.addWidget(self.note)

    @property
    def wants_thumbnail(self) -> bool:
        return self.gl is None

    def _show_view(self) -> None:
        self.stack.setCurrentIndex(0)

    def set_mesh(self, triangles: np.ndarray, lo: Any = None, hi: Any = None,
                 units: str = "mm", lod: np.ndarray | None = None, **kwargs: Any) -> None:
        if self.gl is not None:
            self._show_view()
            self.gl.set_mesh(triangles, lo, hi, units, lod, **kwargs)

    def set_lod(self, triangles: np.ndarray, normals: np.ndarray | None = None,
                coarser: list[Any] | None = None) -> None:
        if self.gl is not None:
            self.gl.set_lod(triangles, normals, coarser)

    def set_still(self, triangles: np.ndarray, normals: np.ndarray | None = None) -> None:
        if self.gl is not None:
            self.gl.set_still(triangles, normals)

    def set_thumbnail(self, png: bytes) -> None:
        if self.thumb is not None:
            self._show_view()
            self.thumb.set_png(png)

    def show_message(self, text: str) -> None:
        """A sentence in place of the part, wrapped to the view's width."""
        if self.gl is not None:
            self.gl.clear()
        elif self.thumb is not None:
            self.thumb.clear_image("")
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def message_text(self) -> str:
        return self.message.text() if self.stack.currentWidget() is self.message else ""

    def set_view(self, name: str) -> None:
        if self.gl is not None:
            self.gl.set_view(name)

    def fit(self) -> None:
        if self.gl is not None:
            self.gl.fit()

    # inspection (no-ops on the still-image fallback)
    def set_problems(self, geometry: dict[str, Any], counts: dict[str, int]) -> None:
        if self.gl is not None:
            self.gl.set_problems(geometry, counts)

    def set_thickness(self, colours: dict[str, Any], legend: list[Any]) -> None:
        if self.gl is not None:
            self.gl.set_thickness(colours, legend)

    def set_build_volume(self, build_mm: Any) -> None:
        if self.gl is not None:
            self.gl.set_build_volume(build_mm)

    def frame_box(self, lo: Any, hi: Any) -> None:
        if self.gl is not None:
            self.gl.frame_box(lo, hi)

    def add_measure_point(self, point: Any) -> None:
        if self.gl is not None:
            self.gl.add_measure_point(point)

    def shutdown(self) -> None:
        if self.gl is not None:
            self.gl.shutdown()
