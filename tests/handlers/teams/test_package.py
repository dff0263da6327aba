"""`allhands teams package` writes a zip Teams accepts: manifest with our ids, two icons."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import cli


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) from a PNG's IHDR chunk."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, _, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour


def test_package_has_the_manifest_with_our_ids_and_both_icons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MicrosoftAppId", "11111111-2222-3333-4444-555555555555")
    output = tmp_path / "allhands.zip"

    result = CliRunner().invoke(
        cli, ["teams", "package", "--output", str(output), "--website", "https://allhands.test"]
    )

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert png_size(package.read("color.png")) == (192, 192, 6)
        assert png_size(package.read("outline.png")) == (32, 32, 6)
    app_id = "11111111-2222-3333-4444-555555555555"
    assert manifest["id"] == manifest["bots"][0]["botId"] == app_id
    assert manifest["composeExtensions"][0]["botId"] == app_id
    (command,) = manifest["composeExtensions"][0]["commands"]
    assert (command["title"], command["context"]) == ("Log as customer feedback", ["message"])
    assert manifest["developer"]["websiteUrl"] == "https://allhands.test"
    assert "{{" not in json.dumps(manifest)


def test_package_refuses_to_build_without_an_app_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    monkeypatch.delenv("MICROSOFTAPPID", raising=False)

    result = CliRunner().invoke(
        cli, ["teams", "package", "--output", str(tmp_path / "x.zip"), "--website", "https://a.b"]
    )

    assert result.exit_code == 2
    assert "MicrosoftAppId is not set" in result.output
