# What the compact token buys (issue 33 point 3; docs/benchmarks.md): the quickstart (Release, 1 reactor thread, core 1), wrk on core 0,
# 5 interleaved rounds of 4 s: /health bare, /health with today's token, /health with an old-shape token,
# /me with each token. The old-shape token: today's login token's claims rewritten as 0.1 wrote them.
# Needs build-release/bin/fauth-quickstart (scripts/bench builds it), wrk, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=18741
secret=bench-secret-key-of-at-least-32-bytes!!
taskset -c 1 env FAUTH_THREADS=1 PORT=$PORT FAUTH_LOGIN_LIMITS=off FAUTH_SECRET_KEY=$secret build-release/bin/fauth-quickstart > /tmp/ts.log 2>&1 &
pid=$!
trap "kill $pid" EXIT
for i in $(seq 50); do curl -sf http://127.0.0.1:$PORT/health >/dev/null && break; sleep 0.1; done
new=$(curl -s -X POST -d 'username=alice&password=s3cret' http://127.0.0.1:$PORT/login | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
old=$(NEW="$new" SECRET="$secret" python3 - <<'PY'
import base64, hashlib, hmac, json, os, secrets
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def unb64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
h, p, _ = os.environ["NEW"].split(".")
c = json.loads(unb64(p))
iat_us = int(round(c["iat"] * 1e6))
old = {"sub": c["sub"], "exp": c["exp"], "iat": iat_us // 1000000, "iat_us": iat_us, "auth_time": iat_us // 1000000,
       "auth_time_us": iat_us, "jti": secrets.token_hex(16), "token_type": c["token_type"], "scopes": [],
       "fam": secrets.token_hex(16), "fresh": c.get("fresh", True)}
header = unb64(h)
inp = b64(header) + "." + b64(json.dumps(old, separators=(",", ":")).encode())
print(inp + "." + b64(hmac.new(os.environ["SECRET"].encode(), inp.encode(), hashlib.sha256).digest()))
PY
)
echo "new token ${#new} bytes, old-shape token ${#old} bytes"
curl -sf -o /dev/null -H "Authorization: Bearer $old" http://127.0.0.1:$PORT/me && echo "old-shape token accepted by /me"
w() { taskset -c 0 wrk -t1 -c32 -d4s -H "Connection: keep-alive" "$@" | awk '/Requests\/sec/{print $2}'; }
w http://127.0.0.1:$PORT/health >/dev/null; w -H "Authorization: Bearer $old" http://127.0.0.1:$PORT/me >/dev/null
for r in 1 2 3 4 5; do
  echo "$r health $(w http://127.0.0.1:$PORT/health) health-new $(w -H "Authorization: Bearer $new" http://127.0.0.1:$PORT/health) health-old $(w -H "Authorization: Bearer $old" http://127.0.0.1:$PORT/health) me-new $(w -H "Authorization: Bearer $new" http://127.0.0.1:$PORT/me) me-old $(w -H "Authorization: Bearer $old" http://127.0.0.1:$PORT/me)"
done
