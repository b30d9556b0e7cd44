"""The HTTP front end: the served files with byte ranges (ffmpeg, mpv and editors that open
URLs seek with ``Range:`` requests). Loopback by default; render errors are HTTP 500."""

from __future__ import annotations

import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .files import ServedRender
from .frames import RenderError

log = logging.getLogger("steadyscale.serve")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
CHUNK = 1 << 20


def make_server(served: ServedRender, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # access log on the logger (stderr with -v), never stdout
            log.info("%s %s", self.address_string(), fmt % args)

        def _index(self, head: bool) -> None:
            lines = [f"{name}\n" for name in served.files]
            body = "".join(lines).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _serve(self, head: bool) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/":
                return self._index(head)
            view = served.files.get(path)
            if view is None:
                self.send_error(404, "no such file")
                return
            start, end, status = 0, view.size - 1, 200
            rng = self.headers.get("Range")
            if rng:
                m = _RANGE.match(rng.strip())
                if not m or (not m.group(1) and not m.group(2)):
                    self.send_error(416, "bad range")
                    return
                if m.group(1):
                    start = int(m.group(1))
                    end = min(end, int(m.group(2))) if m.group(2) else end
                else:  # the last N bytes
                    start = max(0, view.size - int(m.group(2)))
                if start >= view.size or start > end:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{view.size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            try:
                first = b"" if head else view.read(start, min(CHUNK, end + 1 - start))
            except RenderError as e:
                self.send_error(500, f"render failed: {e}")
                return
            self.send_response(status)
            ctype = "video/x-yuv4mpeg" if path.endswith(".y4m") else "image/tiff"
            self.send_header("Content-Type", ctype)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end + 1 - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{view.size}")
            self.end_headers()
            if head:
                return
            pos = start
            try:
                while pos <= end:
                    data = first if pos == start else view.read(pos, min(CHUNK, end + 1 - pos))
                    if not data:
                        break
                    self.wfile.write(data)
                    pos += len(data)
            except RenderError:  # headers are out: all we can do is cut the connection
                self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):  # the client seeked elsewhere
                self.close_connection = True

        def do_GET(self):
            self._serve(False)

        def do_HEAD(self):
            self._serve(True)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, name="steadyscale-http", daemon=True)
    t.start()
    return t
