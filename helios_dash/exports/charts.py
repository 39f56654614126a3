"""Chart images for reports, drawn by Kaleido in one Chromium that is started once and reused.

Starting Chromium costs 2-3 s; a render in a running one about 0.15 s. So the
first render of the process starts a browser and every later render reuses it.

Why not ``kaleido.start_sync_server``: its server opens Chromium on a thread of
its own and, when Chromium is missing or fails to start, that thread dies
silently and every later call waits forever (tried with kaleido 1.5). Here the
same public ``kaleido.Kaleido`` browser lives on an event loop of our own, so a
start-up failure reaches the caller and every call has a time limit.
"""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
import threading
import time
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout

import kaleido
import plotly.graph_objects as go
from choreographer.errors import ChannelClosedError
from kaleido._kaleido_tab._errors import JavascriptError
from kaleido.errors import BrowserClosedError, BrowserFailedError, ChromeNotFoundError

from ..errors import HeliosError

log = logging.getLogger(__name__)

START_SECONDS = 60
RENDER_SECONDS = 60
POLL_SECONDS = 0.25
INSTALL_HINT = ("Chart images need Chromium. Install it with `apt-get install -y chromium` (as root), "
                "or run `make run` / `make test`, which install it; if it lives elsewhere, set BROWSER_PATH "
                "to its executable.")


class ChartRendererUnavailable(HeliosError):
    """Chromium, which draws chart images, is missing or stopped answering."""

    code = "CHART_RENDERER_UNAVAILABLE"
    http_status = 503


class RendererGone(RuntimeError):
    """The renderer's event-loop thread ended without being asked to (dash's test runner kills new threads)."""


# Signs that the browser itself is gone (crashed, killed, hung), as opposed to a figure it could not draw.
# (Kaleido cancels the renders in flight when its browser dies.)
BROWSER_GONE = (BrowserClosedError, BrowserFailedError, ChannelClosedError, CancelledError, FutureTimeout,
                RendererGone)


class ChartRenderer:
    """One Kaleido browser on its own event-loop thread, started on first use; one render at a time."""

    def __init__(self):
        # Kaleido's browser is not safe for concurrent calls, and the lock also makes the lazy start happen once.
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: kaleido.Kaleido | None = None

    def render(self, figure: go.Figure, width: int, height: int, format: str = "png", scale: float = 1) -> bytes:
        """The figure drawn as ``format`` bytes at ``width`` x ``height`` layout pixels times ``scale``."""
        opts = {"format": format, "width": width, "height": height, "scale": scale}
        with self._lock:
            try:
                return self._render(figure, opts)
            except BROWSER_GONE:
                self._stop()  # crashed or killed since the last render: one more try in a fresh browser
            except JavascriptError as error:
                if not _page_not_ready(error):
                    raise
                self._stop()  # its page never loaded Kaleido's script (seen on a starved machine): start afresh
            try:
                return self._render(figure, opts)
            except BROWSER_GONE as error:
                self._stop()
                raise ChartRendererUnavailable(f"Chromium stopped answering while drawing a chart ({error!r}). "
                                               "The next export starts it anew.") from error

    def close(self) -> None:
        """Stop the browser and its thread; a later render starts them again."""
        with self._lock:
            self._stop()

    def _render(self, figure: go.Figure, opts: dict) -> bytes:
        if self._kaleido is None:
            self._start()
        return self._call(self._kaleido.calc_fig(figure, opts=opts), RENDER_SECONDS)

    def _start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_log_loop_error)
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido-renderer", daemon=True)
        self._thread.start()
        try:
            self._kaleido = self._call(_open_browser(), START_SECONDS)
        except ChromeNotFoundError as error:
            self._stop()
            raise ChartRendererUnavailable(f"Chromium was not found. {INSTALL_HINT}") from error
        except (BrowserFailedError, FutureTimeout) as error:
            self._stop()
            # Kaleido's own advice (download a Chrome build) does not fit a Debian server: ours replaces it.
            raise ChartRendererUnavailable(f"Chromium failed to start. {INSTALL_HINT}") from error

    def _call(self, coroutine, seconds: float):
        if not self._thread.is_alive():
            coroutine.close()
            raise RendererGone("the chart renderer's thread has ended")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        deadline = time.monotonic() + seconds
        while True:  # in short waits, so that a thread that ends meanwhile is noticed at once
            try:
                return future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                if not self._thread.is_alive():
                    raise RendererGone("the chart renderer's thread has ended") from None
                if time.monotonic() > deadline:
                    future.cancel()
                    raise

    def _stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            with contextlib.suppress(Exception):  # a browser on its way out has nothing more to tell the caller
                self._close_politely()
        if self._kaleido is not None:
            _end_process_group(self._kaleido)  # if closing did not end it (or nobody was left to ask)
        self._kaleido, self._loop, self._thread = None, None, None

    def _close_politely(self) -> None:
        if self._kaleido is not None:
            self._call(self._kaleido.close(), START_SECONDS)
        self._call(_cancel_pending(), START_SECONDS)  # e.g. choreographer's watchdog, which outlives close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def _page_not_ready(error: Exception) -> bool:
    # "ReferenceError: kaleido_scopes is not defined": the tab ran the render before its script loaded.
    return "kaleido_scopes is not defined" in str(error)


async def _open_browser() -> kaleido.Kaleido:
    # Built on the renderer's loop, where it will run. MathJax off: otherwise each page fetches it from a CDN.
    browser = kaleido.Kaleido(n=1, mathjax=False)
    await browser.open()
    return browser


def _log_loop_error(_loop, context: dict) -> None:
    # Leftovers of a browser that died (its render tasks fail after the caller was told): one line, not a traceback.
    log.warning("chart renderer: %s %r", context.get("message"), context.get("exception"))


def _end_process_group(browser: kaleido.Kaleido) -> None:
    # Chromium runs under choreographer's wrapper, which leads its own process group and ends Chromium on SIGTERM.
    process = getattr(browser, "subprocess", None)  # absent if the browser never opened
    if process is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)


async def _cancel_pending() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def render_chart(figure: go.Figure, width: int, height: int, format: str = "png", scale: float = 1) -> bytes:
    """The figure as image bytes, drawn by the current runtime's Chromium (started on first use)."""
    return current_renderer().render(figure, width, height, format, scale)


def current_renderer() -> ChartRenderer:
    """The renderer of the runtime serving this request or command; a standalone one outside any app (scripts)."""
    from flask import current_app, has_app_context

    runtime = current_app.extensions.get("helios.runtime") if has_app_context() else None
    if runtime is not None:
        return runtime.renderer
    global _standalone
    if _standalone is None:
        _standalone = ChartRenderer()
        atexit.register(_standalone.close)
    return _standalone


_standalone: ChartRenderer | None = None  # only for code running outside an app: benchmarks, one-off scripts


def stop_renderer() -> None:
    """Stop the current Chromium; the next render starts it again."""
    current_renderer().close()
