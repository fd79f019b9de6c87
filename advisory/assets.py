"""Subresource Integrity for what the pages load: a manifest of advisory/static, and the tags.

At start-up every file under the static folder is hashed once (SHA-384, written as SRI wants
it: `sha384-<base64>`). Templates load scripts and stylesheets only through `asset_tag`, which
puts the file's digest in an `integrity` attribute. A module imported by another module
(`import … from "./x.js"`) has no tag to carry one, so every page also carries an import map
(`import_map_tag`) whose "integrity" section names the digest of every module; Chromium checks
each import against it. A file that differs from what the manifest was made of is refused by
the browser, whoever changed it after start-up.

The import map is an inline script: the CSP allows it by its SHA-256 alone
(`import_map_csp_source`, which advisory/security.py puts in `script-src`), never by
'unsafe-inline'. Same-origin files need no `crossorigin` attribute for the check.

`flask --app advisory assets manifest` prints the same manifest, so an auditor can compare
what a live server sends with a release.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from flask import Flask, current_app, request, url_for
from markupsafe import Markup

EXTENSION_KEY = "advisory_assets"
MODULE_SUFFIXES = (".js", ".mjs")
STYLESHEET_SUFFIX = ".css"
# Import maps are kept per address of the app (SCRIPT_NAME); a deployment has one or two.
MAX_IMPORT_MAPS = 8


class UnknownAsset(LookupError):
    """A template asked for a file the manifest does not name: no tag without a digest."""


def sri_digest(content: bytes) -> str:
    """The Subresource Integrity value of `content`: `sha384-` and the base64 digest."""
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


def build_manifest(folder: Path) -> Mapping[str, str]:
    """Every file under `folder` (its path relative to it, with `/`) → its SRI digest, sorted."""
    files = {
        path.relative_to(folder).as_posix(): path for path in folder.rglob("*") if path.is_file()
    }
    return MappingProxyType({name: sri_digest(files[name].read_bytes()) for name in sorted(files)})


@dataclass(frozen=True)
class ImportMap:
    """An import map's JSON exactly as it stands between its tags (the CSP hashes these bytes)."""

    text: str

    @property
    def csp_source(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8")).digest()
        return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def render_import_map(integrity: Mapping[str, str]) -> ImportMap:
    """An import map with only an "integrity" section: module URL → SRI digest."""
    text = json.dumps({"integrity": dict(integrity)}, separators=(",", ":"), sort_keys=True)
    # Inside a script element "</script" would end it: no "<" reaches the page, whatever a
    # file is called (JSON reads the escapes as the same characters).
    for character, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(character, escaped)
    return ImportMap(text)


class AssetIntegrity:
    """One app's manifest, made once at start-up, and the import maps made from it."""

    def __init__(self, manifest: Mapping[str, str]) -> None:
        self.manifest = manifest
        self._import_maps: dict[str, ImportMap] = {}
        self._lock = threading.Lock()

    def digest(self, filename: str) -> str:
        try:
            return self.manifest[filename]
        except KeyError:
            raise UnknownAsset(f"{filename!r} is not a file under the static folder") from None

    def import_map(self) -> ImportMap:
        """The map for this request's address of the app (module URLs include SCRIPT_NAME)."""
        root = request.script_root
        with self._lock:
            known = self._import_maps.get(root)
        if known is not None:
            return known
        made = render_import_map(
            {
                url_for("static", filename=name): digest
                for name, digest in self.manifest.items()
                if name.endswith(MODULE_SUFFIXES)
            }
        )
        with self._lock:
            if len(self._import_maps) < MAX_IMPORT_MAPS:
                self._import_maps.setdefault(root, made)
        return made


def register_assets(app: Flask) -> None:
    if app.static_folder is None:
        raise RuntimeError("the app has no static folder to make a manifest of")
    app.extensions[EXTENSION_KEY] = AssetIntegrity(build_manifest(Path(app.static_folder)))
    app.jinja_env.globals["asset_tag"] = asset_tag
    app.jinja_env.globals["import_map_tag"] = import_map_tag


def app_assets(app: Flask) -> AssetIntegrity:
    assets: AssetIntegrity = app.extensions[EXTENSION_KEY]
    return assets


def asset_tag(filename: str) -> Markup:
    """The tag that loads a static script (as a module) or stylesheet, with its integrity."""
    integrity = app_assets(current_app).digest(filename)
    url = url_for("static", filename=filename)
    if filename.endswith(MODULE_SUFFIXES):
        return Markup('<script type="module" src="{}" integrity="{}"></script>').format(
            url, integrity
        )
    if filename.endswith(STYLESHEET_SUFFIX):
        return Markup('<link rel="stylesheet" href="{}" integrity="{}">').format(url, integrity)
    raise UnknownAsset(f"{filename!r} is neither a script nor a stylesheet")


def import_map_tag() -> Markup:
    """The page's import map; it must come before the first module script of the page."""
    text = app_assets(current_app).import_map().text
    # Not escaped: HTML entities are not decoded inside a script element, and the JSON holds
    # no "<" (render_import_map), so it cannot end the element early.
    return Markup(f'<script type="importmap">{text}</script>')  # noqa: S704


def import_map_csp_source() -> str:
    """The CSP source that allows this request's import map, and no other inline script."""
    return app_assets(current_app).import_map().csp_source
