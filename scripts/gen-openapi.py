# Writes src/api/openapi.json, the OpenAPI document the API serves; api_test checks it against
# the route table. Edit here and rerun: python3 scripts/gen-openapi.py
import pathlib
import json
def p(name, desc, schema=None, where="query", required=False):
    return {"name": name, "in": where, "required": required or where == "path",
            "description": desc, "schema": schema or {"type": "string"}}
lim = lambda lo, hi, d: p("limit", f"At most this many ({lo}-{hi}, default {d}).", {"type": "integer", "minimum": lo, "maximum": hi, "default": d})
day = lambda n, d: p(n, d, {"type": "string", "format": "date"})
grouping = [p("measure", "What is counted.", {"type": "string", "enum": ["sessions", "events", "exploits", "samples"], "default": "sessions"}),
            p("by", "Dimension to group by (depends on the measure)."),
            day("from", "First day (default: the first stored)."), day("to", "Last day, inclusive (default: the last stored)."),
            lim(1, 100, 10), p("targeted", "Only sessions aimed at the operator's products.", {"type": "string", "enum": ["true", "false"]})]
def op(summary, params=(), public=False, roles="analyst, admin", body=None, ok="200", desc=None, codes=()):
    o = {"summary": summary, "parameters": list(params),
         "responses": {ok: {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                       "400": {"$ref": "#/components/responses/BadRequest"}}}
    if desc: o["description"] = desc
    if public:
        o["security"] = []
    else:
        o["description"] = (o.get("description", "") + f" Roles: {roles}.").strip()
        o["responses"]["401"] = {"$ref": "#/components/responses/Unauthorized"}
        o["responses"]["403"] = {"$ref": "#/components/responses/Forbidden"}
    for code, text in codes:
        o["responses"][code] = {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if body:
        o["responses"]["415"] = {"description": "The body was not sent as application/json.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return o
obj = lambda **props: {"type": "object", "required": list(props), "properties": {k: {"type": v} for k, v in props.items()}}
doc = {
 "openapi": "3.0.3",
 "info": {"title": "Mitsu API", "version": "1",
          "description": "IoT threat intelligence: events, sessions, samples, statistics and administration. "
                         "Authenticate with `Authorization: Bearer <token>` (mitsu token create) or the session cookie "
                         "from POST /api/v1/auth/login; browser requests that change state also send `X-CSRF-Token`. "
                         "Unknown, repeated or oversized query parameters are refused with 400; bodies over 1 MiB get 413, headers over 16 KiB 431, "
                         "a body not sent as application/json 415."},
 "servers": [{"url": "/"}],
 "security": [{"bearer": []}, {"session": []}],
 "components": {
   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                       "session": {"type": "apiKey", "in": "cookie", "name": "__Host-mitsu_session"}},
   "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}}},
   "responses": {k: {"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                 for k, d in [("BadRequest", "A parameter or the body is not valid; the message says which."),
                              ("Unauthorized", "No credentials, or credentials that are not valid."),
                              ("Forbidden", "The caller's role may not do this, or the CSRF token is missing.")]}},
 "paths": {
  "/api/v1/health": {"get": op("Liveness check.", public=True)},
  "/api/v1/openapi.json": {"get": op("This document.", public=True)},
  "/api/v1/auth/login": {"post": op("Log in with a password; sets the session cookie and returns the CSRF token.", public=True,
                                     body=obj(user="string", password="string"), codes=[("401", "Wrong user name or password."), ("429", "Too many failed logins; see Retry-After.")])},
  "/api/v1/auth/logout": {"post": op("End the browser session.", roles="any")},
  "/api/v1/auth/me": {"get": op("The caller's user name and role.", roles="any")},
  "/api/v1/events": {"get": op("Stored events, newest first, a page at a time.", [
      p("action", "event.action, e.g. login.attempt"), p("sensor", "observer.name"), p("site", "observer.geo.name"),
      p("protocol", "telnet, ssh, http, ..."), p("session_id", "One session's events."), p("src_ip", "Source address (IPv4 or IPv6)."),
      p("sha256", "Events that carried this sample."), p("since", "From this time (RFC 3339 or YYYY-MM-DD), inclusive.", {"type": "string"}),
      p("until", "Before this time, exclusive.", {"type": "string"}), lim(1, 1000, 100),
      p("order", "newest (default) or oldest first.", {"type": "string", "enum": ["newest", "oldest"]}),
      p("cursor", "next_cursor of the previous page.")])},
  "/api/v1/sessions": {"get": op("The most recently active sessions.", [lim(1, 1000, 50)])},
  "/api/v1/sessions/{id}": {"get": op("A session and its events in time order (its transcript).", [p("id", "Session id.", where="path"), lim(1, 10000, 1000)], codes=[("404", "No such session.")])},
  "/api/v1/samples/{sha256}": {"get": op("A sample: verdict, relatives, sandbox report, analysis jobs and the events that carried it.", [p("sha256", "SHA-256, 64 lower-case hex digits.", where="path"), lim(1, 1000, 100)], codes=[("404", "No such sample.")])},
  "/api/v1/sensors": {"get": op("Every sensor that sent events.")},
  "/api/v1/quarantine": {"get": op("Records that failed validation, newest first.", [lim(1, 1000, 50)])},
  "/api/v1/stats/overview": {"get": op("Everything the report shows for a date range.", [day("from", "First day."), day("to", "Last day, inclusive.")])},
  "/api/v1/stats/top": {"get": op("The largest groups of a dimension, with shares of the whole.", grouping)},
  "/api/v1/stats/series": {"get": op("Daily series, total or per group (the largest groups, the rest as other).", grouping)},
  "/api/v1/peaks": {"get": op("Detected peaks, grouped into incidents, with the disclosures they were tied to.", [day("from", "First day."), day("to", "Last day, inclusive.")])},
  "/api/v1/users": {"get": op("Users.", roles="admin"),
                    "post": op("Create a user.", roles="admin", ok="201", body=obj(name="string", role="string", password="string"), codes=[("409", "The name is taken.")])},
  "/api/v1/users/{name}": {"delete": op("Remove a user with its tokens and sessions.", [p("name", "User name.", where="path")], roles="admin", codes=[("404", "No such user."), ("409", "The caller themself, or the last admin.")])},
  "/api/v1/tokens": {"get": op("API tokens (never their secrets).", roles="admin")},
  "/api/v1/tokens/{id}": {"delete": op("Revoke a token.", [p("id", "Token id (12 hex digits).", where="path")], roles="admin", codes=[("404", "No such token.")])},
  "/api/v1/alerts": {"get": op("Alerts, newest first: open ones, or all.", [p("state", "open (default) or all.", {"type": "string", "enum": ["open", "all"]}), lim(1, 1000, 100)])},
  "/api/v1/alerts/{id}/ack": {"post": op("Acknowledge an alert (audited).", [p("id", "Alert id.", {"type": "integer"}, where="path")], codes=[("404", "No such alert."), ("409", "Already acknowledged.")])},
  "/metrics": {"get": op("Prometheus metrics (text format 0.0.4): API requests by status class, quarantine, analysis queue, undelivered alerts, and under mitsu run the sensors' counters.")},
  "/api/v1/audit": {"get": op("The audit log of admin actions, newest first.", [lim(1, 1000, 100)], roles="admin")},
  "/api/v1/stream": {"get": op("The live stream (Server-Sent Events): `event` frames carry new events (as /api/v1/events gives them), `alert` frames new alerts; a client that reads too slowly gets a `dropped` frame and is disconnected. Served where events are ingested (mitsu run); 503 from `mitsu api` alone.", [
      p("kinds", "What to receive.", {"type": "string", "enum": ["event,alert", "alert,event", "event", "alert"], "default": "event,alert"}),
      p("protocol", "Only events of this protocol."), p("sensor", "Only events from this sensor."),
      p("action", "Only events of this kind."), p("src_ip", "Only events from this address.")], codes=[("503", "No ingest in this process.")])},
  "/api/v1/samples": {"get": op("The most recently seen samples with their verdicts in brief (family, CPU, known or never seen).", [lim(1, 1000, 100)])},
  "/api/v1/samples/{sha256}/pcap": {"get": op("The packets of the sample's sandbox run (PCAP, application/vnd.tcpdump.pcap).", [p("sha256", "SHA-256, 64 lower-case hex digits.", where="path")], codes=[("404", "No sandbox capture for that sample.")])},
  "/api/v1/timeline": {"get": op("A case timeline: everything known about a sample, a source address or a sensor, in time order (sessions, logins, commands, exploits, HTTP and SMB steps, downloads, uploads, files created and deleted on real devices, sandbox behaviours, trace erasure). Give exactly one parameter.", [
      p("sample", "SHA-256 of a sample."), p("src_ip", "A source address."), p("sensor", "A sensor (a real device behind the relay, or a persona).")], codes=[("404", "Nothing is known about that subject.")])},
  "/": {"get": op("The dashboard (HTML).", public=True, codes=[("503", "The dashboard is not built.")])},
  "/assets/{name}": {"get": op("The dashboard's scripts, styles and data.", [p("name", "File name.", where="path")], public=True, codes=[("404", "No such file.")])},
 }}
open(pathlib.Path(__file__).resolve().parent.parent / "src/api/openapi.json", "w").write(json.dumps(doc, indent=1) + "\n")
