"""The Teams app package: `deploy/teams/manifest.json` with this bot's ids, plus two icons.

The icons are drawn here (a ring: full colour 192x192, white outline 32x32 on transparent, as
Teams requires), so the repository holds no binary files and the package is reproducible.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "teams" / "manifest.json"
ACCENT = (0x3B, 0x5B, 0xDB, 0xFF)
WHITE = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR = (0, 0, 0, 0)
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


def manifest(app_id: str, website: str) -> dict[str, Any]:
    if not app_id:
        raise ValueError("MicrosoftAppId is not set: the package needs the bot's app id")
    if not website.startswith("https://"):
        raise ValueError("the package needs an https:// website (ALLHANDS_PUBLIC_URL or --website)")
    text = MANIFEST.read_text().replace("{{APP_ID}}", app_id).replace("{{WEBSITE}}", website)
    document: dict[str, Any] = json.loads(text)
    return document


def write_package(path: Path, app_id: str, website: str) -> None:
    """Write the zip Teams accepts for sideloading or the org app catalogue."""
    files = {
        "manifest.json": json.dumps(manifest(app_id, website), indent=2).encode(),
        "color.png": ring_png(192, background=ACCENT, ring=WHITE),
        "outline.png": ring_png(32, background=CLEAR, ring=WHITE),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in files.items():
            package.writestr(zipfile.ZipInfo(name, ZIP_DATE), data)


def ring_png(size: int, *, background: tuple[int, ...], ring: tuple[int, ...]) -> bytes:
    """An RGBA PNG of a ring centred on `background`."""
    centre = (size - 1) / 2
    outer, inner = size * 0.40, size * 0.26
    rows = b""
    for y in range(size):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(size):
            distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            row.extend(ring if inner <= distance <= outer else background)
        rows += bytes(row)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)
