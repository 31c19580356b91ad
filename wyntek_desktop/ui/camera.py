"""Orbit camera for the 3D view (Z up, as in CAD): pure math, testable without OpenGL."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtGui import QMatrix4x4, QVector3D

# name -> (yaw, pitch) in degrees; yaw 0 looks from -Y (front), 90 from +X (right).
STANDARD_VIEWS: dict[str, tuple[float, float]] = {
    "front": (0.0, 0.0),
    "back": (180.0, 0.0),
    "left": (-90.0, 0.0),
    "right": (90.0, 0.0),
    "top": (0.0, 90.0),
    "bottom": (0.0, -90.0),
    "iso": (45.0, math.degrees(math.atan(1 / math.sqrt(2)))),
}
FOV_DEG = 35.0


@dataclass
class Camera:
    target: QVector3D = field(default_factory=lambda: QVector3D(0, 0, 0))
    distance: float = 100.0
    yaw: float = 45.0
    pitch: float = 35.26
    radius: float = 50.0  # of the model's bounding sphere, for near/far planes

    def eye_direction(self) -> QVector3D:
        y, p = math.radians(self.yaw), math.radians(self.pitch)
        return QVector3D(math.sin(y) * math.cos(p), -math.cos(y) * math.cos(p), math.sin(p))

    def up(self) -> QVector3D:
        y, p = math.radians(self.yaw), math.radians(self.pitch)
        return QVector3D(-math.sin(y) * math.sin(p), math.cos(y) * math.sin(p), math.cos(p))

    def eye(self) -> QVector3D:
        return self.target + self.eye_direction() * self.distance

    def view(self) -> QMatrix4x4:
        m = QMatrix4x4()
        m.lookAt(self.eye(), self.target, self.up())
        return m

    def projection(self, aspect: float) -> QMatrix4x4:
        near = max(self.distance - self.radius * 2, self.distance * 0.01, 1e-6)
        far = self.distance + self.radius * 4
        m = QMatrix4x4()
        m.perspective(FOV_DEG, max(aspect, 1e-3), near, far)
        return m

    def orbit(self, dx_px: float, dy_px: float) -> None:
        self.yaw = (self.yaw - dx_px * 0.4) % 360.0
        self.pitch = max(-90.0, min(90.0, self.pitch + dy_px * 0.4))

    def pan(self, dx_px: float, dy_px: float, viewport_h: int) -> None:
        per_px = 2 * self.distance * math.tan(math.radians(FOV_DEG / 2)) / max(viewport_h, 1)
        right = QVector3D.crossProduct(self.up(), self.eye_direction()).normalized()
        self.target = self.target - right * (dx_px * per_px) + self.up() * (dy_px * per_px)

    def zoom(self, steps: float) -> None:
        self.distance = max(self.radius * 0.02, self.distance * (0.85 ** steps))

    def fit(self, lo: tuple[float, float, float], hi: tuple[float, float, float],
            aspect: float = 1.0) -> None:
        """Put the box's bounding sphere inside the view, also across a narrow one
        (``aspect`` = width / height: below 1 the horizontal angle is the smaller)."""
        self.target = QVector3D(*((a + b) / 2 for a, b in zip(lo, hi, strict=True)))
        self.radius = max(0.5 * math.dist(lo, hi), 1e-6)
        half = math.radians(FOV_DEG / 2)
        if aspect < 1.0:
            half = math.atan(math.tan(half) * max(aspect, 1e-3))
        self.distance = self.radius / math.sin(half) * 1.05

    def set_view(self, name: str) -> None:
        self.yaw, self.pitch = STANDARD_VIEWS[name]
