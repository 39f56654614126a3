"""Which real file a static URL names (Dash's component suites, ``assets/``); anything else is a clean 404."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import dash
from dash.fingerprint import check_fingerprint
from flask import abort, request

from .static_compression import StaticCompression, flask_static_file


def component_suite_file(dash_app: dash.Dash, package: str, fingerprinted_path: str) -> Path | None:
    """The file behind ``/_dash-component-suites/<package>/<path>``, if Dash serves it and it exists."""
    path, _ = check_fingerprint(fingerprinted_path)
    module = sys.modules.get(package)
    # Dash serves only the paths its components registered, which rules out "../" tricks.
    if path not in dash_app.registered_paths.get(package, ()) or module is None or not module.__file__:
        return None
    root = Path(module.__file__).resolve().parent
    file = (root / path).resolve()
    return file if file.is_relative_to(root) and file.is_file() else None


def static_file_locator(dash_app: dash.Dash) -> Callable[[], Path | None]:
    """For StaticCompression: the real file the current request serves, or None."""

    def locate() -> Path | None:
        args = request.view_args or {}
        if "package_name" in args and "fingerprinted_path" in args:
            return component_suite_file(dash_app, args["package_name"], args["fingerprinted_path"])
        return flask_static_file()

    return locate


def serve_unknown_files_as_404(dash_app: dash.Dash) -> None:
    """Answer 404, not Dash's 500 and its list of every served path, for a component file it does not have."""

    def refuse_unknown_component_files() -> None:
        args = request.view_args or {}
        if "package_name" in args and "fingerprinted_path" in args:
            if component_suite_file(dash_app, args["package_name"], args["fingerprinted_path"]) is None:
                abort(404)

    # Registered after Dash's own first-request setup, which registers the component paths.
    dash_app.server.before_request(refuse_unknown_component_files)


def warm_static_cache(dash_app: dash.Dash, compression: StaticCompression, encoding: str = "br") -> None:
    """At the first request, queue every component file for compression (in the background thread).

    Dash's files are cached by browsers for a year: without this, the first visitor
    after a start would keep the uncompressed copies it happened to receive.
    """
    warmed = []

    def warm_once() -> None:
        if warmed:
            return
        warmed.append(True)
        for package, paths in dash_app.registered_paths.items():
            for path in paths:
                file = component_suite_file(dash_app, package, path)
                if file is not None and file.suffix in (".js", ".css"):
                    compression.prepare(file, encoding)

    # Registered after Dash's own first-request setup, which registers the component paths.
    dash_app.server.before_request(warm_once)
