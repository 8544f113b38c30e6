"""Headless Chromium driven over the DevTools protocol on a pipe (no network, no extra
package): open a page, collect console messages, evaluate expressions, take
screenshots, decode PNG pixels.

Chromium is Debian's ``chromium`` package, installed by ``make browser`` (a step of
``make test``) when missing.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import attrs

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def chromium_path() -> str | None:
    """The chromium binary, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@attrs.define
class Page:
    """One page open in a fresh browser; use as a context manager."""

    url: str
    width: int = 1280
    height: int = 1600
    console: list[str] = attrs.field(factory=list)
    _process: subprocess.Popen[bytes] | None = None
    _write_fd: int = -1
    _read_fd: int = -1
    _buffer: bytes = b""
    _next_id: int = 0
    _session: str = ""
    _profile: str = ""
    _log: Any = None

    def __enter__(self) -> Page:
        binary = chromium_path()
        assert binary is not None, "chromium is not installed (make browser)"
        self._profile = tempfile.mkdtemp(prefix="dunning-chromium-")
        self._log = open(os.path.join(self._profile, "stderr.log"), "wb")
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()

        def child_fds() -> None:
            # Through high numbers first, so neither pipe end is clobbered on the way.
            high_r, high_w = os.dup(to_browser_r) + 100, os.dup(from_browser_w) + 100
            os.dup2(to_browser_r, high_r)
            os.dup2(from_browser_w, high_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            pass_fds=(3, 4),  # what child_fds put there: the only fds kept open
            preexec_fn=child_fds,  # the test process starts no thread of its own
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._write_fd, self._read_fd = to_browser_w, from_browser_r
        target = self._call("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self._call(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self._session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self._call(f"{domain}.enable", {})
        self._call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        self._call("Page.navigate", {"url": self.url})
        self._wait_event("Page.loadEventFired")
        self._drain(0.3)  # late console messages (CSP reports arrive after load)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._process is not None:
                with contextlib.suppress(AssertionError, OSError, TimeoutError):
                    self._call("Browser.close", {}, session=False, timeout=5)
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
        finally:
            if self._log is not None:
                self._log.close()
            for fd in (self._write_fd, self._read_fd):
                if fd >= 0:
                    os.close(fd)
            shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol ------------------------------------------------------------------------

    def _send(self, method: str, params: dict[str, Any], session: bool) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise OSError("chromium closed the pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        self._note(message)
        return message

    def _note(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.console.append(f"console.{params['type']}: {args}")
        elif method == "Runtime.exceptionThrown":
            self.console.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            self.console.append(f"log.{entry['level']} ({entry['source']}): {entry['text']}")

    def _call(
        self, method: str, params: dict[str, Any], *, session: bool = True, timeout: float = 30
    ) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(max(0.0, deadline - time.monotonic()))
            if message is None:
                raise TimeoutError(f"no answer to {method}")
            if message.get("id") == wanted:
                assert "error" not in message, f"{method}: {message['error']}"
                result: dict[str, Any] = message.get("result", {})
                return result

    def _wait_event(self, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(max(0.0, deadline - time.monotonic()))
            if message is None:
                raise TimeoutError(f"no {name}")
            if message.get("method") == name:
                return

    def _drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._receive(max(0.0, deadline - time.monotonic())) is not None:
            pass

    # -- what tests use --------------------------------------------------------------------

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (DevTools evaluation is not subject
        to the page's Content-Security-Policy)."""
        result = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def screenshot(self, clip: dict[str, float] | None = None, *, full: bool = False) -> bytes:
        """A PNG of the page, of the ``clip`` box (page coordinates), or of all of it."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full or bool(clip)}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        elif full:
            size = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        return base64.b64decode(self._call("Page.captureScreenshot", params)["data"])


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """``(width, height, pixels)`` of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    offset = 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(line)
        previous = line
    pixels = [tuple(row[x * channels : x * channels + 3]) for row in rows for x in range(width)]
    return width, height, pixels


def ink(pixels: list[tuple[int, ...]]) -> float:
    """The share of pixels that are not (near) white."""
    if not pixels:
        return 0.0
    return sum(1 for p in pixels if min(p) < 235) / len(pixels)


def write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (for screenshots kept for the docs)."""
    path.write_bytes(data)
    return path
