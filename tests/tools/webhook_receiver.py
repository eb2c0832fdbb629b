#!/usr/bin/env python3
"""A webhook receiver for the alert tests: listens on 127.0.0.1:PORT, appends one JSON line per
POST ({"key": Idempotency-Key, "body": ...}) to LOG, answers 200. Prints "ready PORT" once it
listens (PORT 0 picks a free one)."""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps({"key": self.headers.get("Idempotency-Key"),
                                  "type": self.headers.get("Content-Type"),
                                  "body": json.loads(body)}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("ready", server.server_address[1], flush=True)
server.serve_forever()
