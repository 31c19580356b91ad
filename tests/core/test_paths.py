import re

import pytest

from wyntek_desktop.core.paths import atomic_write_text, storage_file_name

KEY_CHARS = re.compile(r"^[A-Za-z0-9_!.*'()&$=@;:+,\- ]+$")


@pytest.mark.parametrize("name, expected", [
    ("bracket.stl", "bracket.stl"),
    ("Gehäuse Ö.step", "Gehause O.step"),
    ("../../etc/passwd", "passwd"),
    ("a\\b\\c.obj", "c.obj"),
    ("..", "file"),
    ("日本.stl", "file.stl"),
    (".hidden", "file.hidden"),
    ("x..y.stl", "x.y.stl"),
    ("nul\x00byte.stl", "nul_byte.stl"),
])
def test_storage_file_name(name: str, expected: str) -> None:
    assert storage_file_name(name) == expected


def test_long_names_keep_their_extension() -> None:
    name = storage_file_name("a" * 500 + ".step")
    assert len(name) <= 200 and name.endswith(".step") and KEY_CHARS.match(name)


def test_atomic_write_replaces(tmp_path) -> None:
    target = tmp_path / "x.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two" and len(list(tmp_path.iterdir())) == 1
