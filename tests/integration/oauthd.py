#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A fake OAuth 2.0 provider for the tests, over HTTPS with the test CA.

Endpoints (POST forms, JSON answers, as RFC 6749, 7636 and 8628 say):
  /device     the device authorization request (RFC 8628 3.1)
  /authorize  GET: approves at once and redirects to redirect_uri with
              code and state (RFC 6749 4.1.2), the PKCE challenge kept
  /token      grant types device_code (authorization_pending on the first
              poll, slow_down on the second, then tokens; a poll sooner
              than the interval is counted as a violation),
              authorization_code (checks redirect_uri and the S256
              code_verifier) and refresh_token (rotates: the old refresh
              token dies, a new one comes with each access token)

The state is a JSON file shared with server.py (--oauth-state), which
checks the access tokens against it.  Every change happens under an
exclusive flock(2) of STATE.lock:
  expires_in   seconds each new access token lives (3600)
  access       {token: expiry (epoch seconds)}
  refresh      [the refresh tokens that are valid]
  issued       [every token ever issued], for the tests' greps
  grants       {grant type: how many tokens it issued}
  down         when true, /device and /token answer 503
  access_len   the length of each new access token (40)
  violations   polls that came sooner than the interval
  deny         when true, the device sign-in is denied at the first poll

Usage: oauthd.py serve PORTFILE STATE CERT KEY [LIFETIME]  (600 s)
       oauthd.py set STATE KEY JSON-VALUE
       oauthd.py get STATE KEY            (prints the JSON value)
       oauthd.py revoke STATE             (every refresh token dies)
"""
import base64
import fcntl
import hashlib
import http.server
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

DEFAULTS = {"expires_in": 3600, "access": {}, "refresh": [], "issued": [],
            "grants": {}, "down": False, "access_len": 40,
            "violations": 0}


class State:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.lock = open(self.path + ".lock", "a")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            with open(self.path) as f:
                self.d = json.load(f)
        except FileNotFoundError:
            self.d = json.loads(json.dumps(DEFAULTS))
        return self.d

    def __exit__(self, *exc):
        with open(self.path + ".tmp", "w") as f:
            json.dump(self.d, f)
        os.rename(self.path + ".tmp", self.path)
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()


def issue(d, grant, with_refresh=True):
    """New tokens of grant; the answer of the token endpoint."""
    n = max(int(d["access_len"]), 20)
    access = ("at-" + secrets.token_hex(n))[:n]
    d["access"][access] = time.time() + d["expires_in"]
    d["issued"].append(access)
    d["grants"][grant] = d["grants"].get(grant, 0) + 1
    out = {"access_token": access, "token_type": "Bearer",
           "expires_in": d["expires_in"]}
    if with_refresh:
        refresh = "rt-" + secrets.token_hex(16)
        d["refresh"].append(refresh)
        d["issued"].append(refresh)
        out["refresh_token"] = refresh
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def form(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        if u.path != "/authorize":
            return self.answer(404, {"error": "not_found"})
        if (q.get("response_type") != "code" or
                q.get("code_challenge_method") != "S256" or
                not q.get("redirect_uri", "").startswith("http://127.0.0.1:")
                or "state" not in q or "code_challenge" not in q):
            return self.answer(400, {"error": "invalid_request"})
        code = "code-" + secrets.token_hex(8)
        with State(self.server.state) as d:
            d.setdefault("codes", {})[code] = {
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
                "client_id": q.get("client_id")}
            d["authorize_query"] = q
        loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
            {"code": code, "state": q["state"]})
        self.send_response(302)
        self.send_header("Location", loc)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        f = self.form()
        with State(self.server.state) as d:
            if d["down"]:
                return self.answer(503, {"error": "temporarily_unavailable"})
            if self.path == "/device":
                return self.device(d, f)
            if self.path == "/token":
                return self.token(d, f)
            return self.answer(404, {"error": "not_found"})

    def device(self, d, f):
        if f.get("client_id") != "test-client":
            return self.answer(400, {"error": "invalid_client"})
        d["device"] = {"code": "dc-" + secrets.token_hex(8), "polls": 0,
                       "interval": 1, "last": time.time(),
                       "scope": f.get("scope")}
        return self.answer(200, {
            "device_code": d["device"]["code"], "user_code": "WDJB-MJHT",
            "verification_uri": "https://127.0.0.1/devicelogin",
            "expires_in": 120, "interval": 1})

    def token(self, d, f):
        g = f.get("grant_type")
        if f.get("client_id") != "test-client":
            return self.answer(401, {"error": "invalid_client"})
        if g == "urn:ietf:params:oauth:grant-type:device_code":
            dev = d.get("device")
            if not dev or f.get("device_code") != dev["code"]:
                return self.answer(400, {"error": "invalid_grant"})
            now = time.time()
            if now - dev["last"] < dev["interval"] - 0.2:
                d["violations"] += 1
            dev["last"] = now
            dev["polls"] += 1
            if d.get("deny"):
                d["device"] = None
                return self.answer(400, {"error": "access_denied"})
            if dev["polls"] == 1:
                return self.answer(400, {"error": "authorization_pending"})
            if dev["polls"] == 2:
                dev["interval"] += 5
                return self.answer(400, {"error": "slow_down"})
            d["device"] = None
            return self.answer(200, issue(d, "device_code"))
        if g == "authorization_code":
            c = d.get("codes", {}).pop(f.get("code", ""), None)
            if c is None or c["redirect_uri"] != f.get("redirect_uri"):
                return self.answer(400, {"error": "invalid_grant"})
            digest = hashlib.sha256(f.get("code_verifier", "").encode())
            want = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=")
            if want.decode() != c["challenge"]:
                return self.answer(400, {"error": "invalid_grant",
                                         "error_description": "PKCE"})
            return self.answer(200, issue(d, "authorization_code"))
        if g == "refresh_token":
            r = f.get("refresh_token")
            if r not in d["refresh"]:
                return self.answer(400, {
                    "error": "invalid_grant",
                    "error_description": "the refresh token is revoked"})
            d["refresh"].remove(r)
            return self.answer(200, issue(d, "refresh_token"))
        return self.answer(400, {"error": "unsupported_grant_type"})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve(portfile, state, cert, key, lifetime=600):
    with State(state):
        pass
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = state
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    threading.Timer(float(lifetime), srv.shutdown).start()
    srv.serve_forever()


def main(argv):
    if argv[0] == "serve":
        serve(*argv[1:])
    elif argv[0] == "set":
        with State(argv[1]) as d:
            d[argv[2]] = json.loads(argv[3])
    elif argv[0] == "get":
        with State(argv[1]) as d:
            print(json.dumps(d.get(argv[2])))
    elif argv[0] == "revoke":
        with State(argv[1]) as d:
            d["refresh"] = []
    else:
        sys.exit("usage: see the docstring")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
