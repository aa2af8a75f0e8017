"""Spans leave only when an OTLP endpoint is configured."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


def test_no_endpoint_costs_nothing():
    code = ("import sys, tradeplane.tracing as t\n"
            "with t.span('x', a=1): pass\n"
            "t.record('y')\n"
            "assert not t.enabled() and 'opentelemetry.sdk' not in sys.modules\n")
    env = {"PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_spans_reach_the_otlp_endpoint():
    got: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = ("import tradeplane.tracing as t\n"
                "from opentelemetry import trace\n"
                "with t.span('tradeplane.plan', estate='dv-trading'): pass\n"
                "t.record('tradeplane.feeds.start', venues='binance')\n"
                "trace.get_tracer_provider().force_flush()\n")
        env = {"PATH": "/usr/bin:/bin", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}"}
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    finally:
        server.shutdown()
    assert got and got[0][0] == "/v1/traces"
    body = b"".join(b for _, b in got)
    assert b"tradeplane.plan" in body and b"tradeplane.feeds.start" in body
