#!/usr/bin/env python3
"""The flood mode of scripts/soak: a login flood from many loopback addresses against a running
quickstart, while /health and a real user's logins are timed, during the flood and after it.

    scripts/soak_flood.py PORT [SECONDS] [ADDRESSES]

Every address (127.a.b.c; Linux routes all of 127.0.0.0/8 to lo) sends wrong-password logins for
names of its own as fast as the server answers, each on a new connection, 200 at a time overall.
Meanwhile, every half second, /health is fetched from 127.0.0.1, and every 10 s alice logs in
from an address the flood does not use, with the device cookie of an earlier login and, apart,
without one. Prints what each saw (JSON last) and exits 1 when /health failed or its p99 reached
one second, or when alice, with her device, could not log in during the flood or after it.
Standard library only; every loop is bounded by the time given.
"""
import asyncio
import json
import sys
import time

PORT = int(sys.argv[1])
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
ADDRESSES = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
CONCURRENCY = 200
TIMEOUT = 10.0


def flood_address(i):
    return "127.%d.%d.%d" % (10 + i // 64516, (i // 254) % 254 + 1, i % 254 + 1)


def alice_address(n):
    return "127.99.%d.%d" % (n // 254 % 254 + 1, n % 254 + 1)


async def request(method, path, headers=None, body="", src="127.0.0.1"):
    """One request on a new connection: (status or an error name, seconds, Set-Cookie values)."""
    start = time.monotonic()
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append("%s: %s" % (name, value))
    if body:
        lines.append("Content-Length: %d" % len(body.encode()))
    data = ("\r\n".join(lines) + "\r\n\r\n" + body).encode()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", PORT, local_addr=(src, 0)), TIMEOUT)
        writer.write(data)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        text = head.decode("latin-1").split("\r\n")
        cookies = [l.split(":", 1)[1].strip() for l in text[1:] if l.lower().startswith("set-cookie:")]
        return int(text[0].split()[1]), time.monotonic() - start, cookies
    except asyncio.TimeoutError:
        return "timeout", time.monotonic() - start, []
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
        return type(e).__name__, time.monotonic() - start, []
    finally:
        if writer is not None:
            writer.close()


def login_body(user, password):
    return "username=%s&password=%s" % (user, password)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def alice_login(n, device):
    headers = dict(FORM)
    if device:
        headers["Cookie"] = device
    status, seconds, cookies = await request("POST", "/login", headers, login_body("alice", "s3cret"), alice_address(n))
    return status, seconds


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100.0 * len(ordered)))]


def summary(samples):
    seconds = [s for _, s in samples]
    statuses = {}
    for status, _ in samples:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"count": len(samples), "statuses": statuses,
            "p50_ms": round(1000 * percentile(seconds, 50), 1) if seconds else None,
            "p99_ms": round(1000 * percentile(seconds, 99), 1) if seconds else None,
            "max_ms": round(1000 * max(seconds), 1) if seconds else None}


async def main():
    status, _, cookies = await request("POST", "/login", FORM, login_body("alice", "s3cret"), "127.98.0.1")
    # The device cookie's default name, with the __Secure- prefix it takes when cookies are Secure (the default).
    device = next((c.split(";")[0] for c in cookies if c.split("=")[0] in ("fauth_device", "__Secure-fauth_device")), "")
    if status != 200 or not device:
        print("soak flood: alice's first login gave %s and %s device cookie" % (status, "a" if device else "no"))
        return 1

    deadline = time.monotonic() + SECONDS
    flood = {}
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def attacker(i):
        k = 0
        while time.monotonic() < deadline:
            async with semaphore:
                if time.monotonic() >= deadline:
                    return
                status, _, _ = await request("POST", "/login", FORM, login_body("n%d_%d" % (i, k % 50), "x"), flood_address(i))
            flood[str(status)] = flood.get(str(status), 0) + 1
            k += 1

    health, with_device, without_device = [], [], []

    async def probes():
        n = 0
        next_alice = time.monotonic() + 10
        while time.monotonic() < deadline:
            status, seconds, _ = await request("GET", "/health")
            health.append((status, seconds))
            if time.monotonic() >= next_alice:
                next_alice += 10
                results = await asyncio.gather(alice_login(2 * n, device), alice_login(2 * n + 1, ""))
                with_device.append(results[0])
                without_device.append(results[1])
                n += 1
            await asyncio.sleep(0.5)

    started = time.monotonic()
    await asyncio.gather(probes(), *(attacker(i) for i in range(ADDRESSES)))
    flood_seconds = time.monotonic() - started

    after_health = []
    for _ in range(10):
        after_health.append((await request("GET", "/health"))[:2])
    after_alice = await alice_login(60000, device)

    report = {
        "flood": {"seconds": round(flood_seconds, 1), "addresses": ADDRESSES, "logins": flood},
        "during": {"health": summary(health), "alice_with_device": summary(with_device),
                   "alice_without_device": summary(without_device)},
        "after": {"health": summary(after_health), "alice_with_device": summary([after_alice])},
    }
    print("soak flood: %d addresses for %.0f s: login answers %s" % (ADDRESSES, flood_seconds, flood))
    for when in ("during", "after"):
        for name, s in report[when].items():
            print("soak flood: %s: %s: %s, p50 %s ms, p99 %s ms, max %s ms" %
                  (when, name, s["statuses"], s["p50_ms"], s["p99_ms"], s["max_ms"]))
    print(json.dumps(report))
    ok = True
    during_health = report["during"]["health"]
    if set(during_health["statuses"]) != {"200"} or during_health["p99_ms"] >= 1000:
        print("soak flood: /health failed or was slow during the flood"); ok = False
    if "200" not in report["during"]["alice_with_device"]["statuses"]:
        print("soak flood: alice could not log in with her device during the flood"); ok = False
    if set(report["after"]["health"]["statuses"]) != {"200"} or after_alice[0] != 200:
        print("soak flood: the server did not recover after the flood"); ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
