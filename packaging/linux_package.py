"""Linux packages from the one-folder app: a `.deb` and a portable `.tar.zst`.

    python packaging/linux_package.py dist/wyntek-desktop --out dist/packages

The `.deb` installs the folder as `/opt/wyntek-desktop`, puts `wyntek-desktop` and
`wyntek` on `PATH` (`/usr/bin`, relative links), and registers a menu entry, the icon in
every size and the file types (STL, 3MF, STEP, OBJ, GLB, Gerber zip) so the file manager
offers "Open with WYNTEK Desktop". Debian's own triggers (desktop-file-utils,
shared-mime-info, hicolor-icon-theme) refresh their caches: no maintainer scripts.
`Depends` lists the packages that provide the system libraries the bundle links but does
not carry (found with `dpkg -S`, as dpkg-shlibdeps would).

The `.tar.zst` holds the same folder plus the desktop entry, icons and MIME file under
`share/` for a per-user install.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from wyntek_desktop.distribution import about  # noqa: E402

PACKAGE = "wyntek-desktop"
PREFIX = Path("opt") / PACKAGE
DESKTOP_FILE = ROOT / "resources" / "app" / f"{PACKAGE}.desktop"
MIME_FILE = HERE / "linux" / f"{PACKAGE}.xml"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SCALABLE_ICON = ROOT / "resources" / "icons" / "app.svg"
# What the bundle needs from any desktop system, whatever the build machine resolves.
BASE_DEPENDS = ("libc6 (>= 2.36)",)
# Recommended, not required: a Secret Service keeps the session across restarts.
RECOMMENDS = ("gnome-keyring | kwalletmanager | keepassxc",)
# Compression levels: measured on the 289 MB customer folder (packaging/README.md).
DEB_LEVEL = 9
TARBALL_LEVEL = 9
LIBRARY = re.compile(r"\s*NEEDED\s+(\S+)")


def version() -> str:
    return about.version()


def architecture() -> str:
    out = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                         check=False)
    return out.stdout.strip() or "amd64"


# --- dependencies ----------------------------------------------------------------------

def _elf_files(app: Path) -> list[Path]:
    found = []
    for path in app.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def needed_libraries(app: Path) -> set[str]:
    """Sonames the bundle's ELF files link that the bundle itself does not carry."""
    carried = {path.name for path in app.rglob("*")}
    needed: set[str] = set()
    for path in _elf_files(app):
        out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True,
                             check=False).stdout
        needed |= {m.group(1) for line in out.splitlines() if (m := LIBRARY.match(line))}
    return {name for name in needed if name not in carried}


def _system_paths() -> dict[str, str]:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    paths: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        soname = name.split(" ", 1)[0]
        if "x86-64" in name or "64bit" in name or soname not in paths:
            paths.setdefault(soname, path)
    return paths


def depends(app: Path) -> list[str]:
    """Debian packages providing the system libraries the bundle links."""
    paths = _system_paths()
    packages: set[str] = set()
    missing = []
    for soname in sorted(needed_libraries(app)):
        path = paths.get(soname)
        if path is None:
            missing.append(soname)
            continue
        owner = subprocess.run(["dpkg", "-S", str(Path(path).resolve())], capture_output=True,
                               text=True, check=False)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True,
                                   check=False)
        if owner.returncode == 0:
            packages.add(owner.stdout.split(":", 1)[0].strip())
        else:
            missing.append(soname)
    if missing:
        print(f"linux_package: no package found for {', '.join(missing)}", file=sys.stderr)
    libc = {"libc6", "libc6-dev"}
    return [*BASE_DEPENDS, *sorted(packages - libc)]


# --- file tree ---------------------------------------------------------------------------

def stage_share(share: Path) -> None:
    """Desktop entry, icons and MIME types under a `share/` folder (`/usr/share`)."""
    apps = share / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    shutil.copy2(DESKTOP_FILE, apps / DESKTOP_FILE.name)
    mime = share / "mime" / "packages"
    mime.mkdir(parents=True, exist_ok=True)
    shutil.copy2(MIME_FILE, mime / MIME_FILE.name)
    icons = share / "icons" / "hicolor"
    for size in ICON_SIZES:
        source = ROOT / "resources" / "app" / f"wyntek-{size}.png"
        target = icons / f"{size}x{size}" / "apps" / f"{PACKAGE}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    scalable = icons / "scalable" / "apps" / f"{PACKAGE}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SCALABLE_ICON, scalable)


def control(app: Path, installed_kib: int) -> str:
    fields = {
        "Package": PACKAGE,
        "Version": version(),
        "Architecture": architecture(),
        "Maintainer": f"{about.PUBLISHER} <support@wyntek.example>",
        "Installed-Size": str(installed_kib),
        "Depends": ", ".join(depends(app)),
        "Recommends": ", ".join(RECOMMENDS),
        "Section": "graphics",
        "Priority": "optional",
        "Homepage": "https://wyntek.example",
        "Description": "Prepare, check and submit digital-fabrication jobs\n"
                       " WYNTEK Desktop checks 3D models (STL, 3MF, STEP, OBJ, glTF) and Gerber\n"
                       " archives for manufacturability, estimates the price and submits\n"
                       " fabrication jobs to the WYNTEK service. Includes the `wyntek`\n"
                       " command line.",
    }
    return "".join(f"{key}: {value}\n" for key, value in fields.items())


def build_deb(app: Path, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="wyntek-deb-") as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(app, root / PREFIX, symlinks=True)
        bin_dir = root / "usr" / "bin"
        bin_dir.mkdir(parents=True)
        for program in ("wyntek-desktop", "wyntek"):
            if (app / program).exists():
                (bin_dir / program).symlink_to(Path("..", "..", PREFIX, program))
        stage_share(root / "usr" / "share")
        doc = root / "usr" / "share" / "doc" / PACKAGE
        doc.mkdir(parents=True)
        (doc / "copyright").write_text(
            f"{about.COPYRIGHT}. All rights reserved.\n\nThe bundled components and their "
            f"licences are listed in /{PREFIX}/_internal/licenses/.\n", "utf-8")
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()
                   and not p.is_symlink())
        debian = root / "DEBIAN"
        debian.mkdir()
        (debian / "control").write_text(control(app, (size + 1023) // 1024), "utf-8")
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{PACKAGE}_{version()}_{architecture()}.deb"
        # zstd: dpkg reads it since 1.21.18 (Debian 12, Ubuntu 22.04), and it packs the
        # 290 MB folder in about a minute where xz takes ten on a loaded 2-core machine.
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zzstd", f"-z{DEB_LEVEL}",
                        "--build", str(root), str(target)], check=True, capture_output=True)
    return target


def build_tarball(app: Path, out: Path, level: int = TARBALL_LEVEL) -> Path:
    """`wyntek-desktop-VERSION-linux-ARCH.tar.zst`: the folder plus `share/`."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"{PACKAGE}-{version()}-linux-{architecture()}"
    target = out / f"{name}.tar.zst"
    with tempfile.TemporaryDirectory(prefix="wyntek-tar-") as tmp:
        stage_share(Path(tmp) / "share")
        plain = Path(tmp) / f"{name}.tar"
        with tarfile.open(plain, "w") as tar:
            tar.add(app, arcname=name)
            tar.add(Path(tmp) / "share", arcname=f"{name}/share")
        # A 128 MiB window finds the repeats between the two executables and across
        # libraries, and is what zstd (and `tar --zstd`) decompresses without options.
        subprocess.run(["zstd", "-q", "-f", f"-{level}", "--long=27", "-T0", str(plain),
                        "-o", str(target)], check=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", type=Path, help="the one-folder app (dist/wyntek-desktop)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "packages")
    parser.add_argument("--no-deb", action="store_true")
    parser.add_argument("--no-tarball", action="store_true")
    args = parser.parse_args(argv)
    if not (args.app / "wyntek-desktop").is_file():
        parser.error(f"{args.app} holds no wyntek-desktop program: build it first")
    if not args.no_deb:
        deb = build_deb(args.app, args.out)
        print(f"{deb}  {deb.stat().st_size / 1e6:.1f} MB")
    if not args.no_tarball:
        tarball = build_tarball(args.app, args.out)
        print(f"{tarball}  {tarball.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
