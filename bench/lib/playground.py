"""The playground benchmark's client (run by bench/playground.sh).

1. First token: REQUESTS requests one after another on each path, the two
   paths interleaved: the playground (`POST /playground/{id}/messages`,
   "regenerate" in one conversation, so its history stays the same) and
   `/v1/chat/completions` streamed with the same system prompt, message and
   parameters. The time from sending the request to the first generated
   text, on a fresh connection each, p50/p90/p99 per path.
2. Concurrent streams: for each count in STREAMS, that many playground
   replies started at once, each in its own conversation, against the paced
   simulator: how many completed, the first-token and whole-reply times,
   and the portal's memory.

Standard library only.
"""

import asyncio
import datetime
import json
import os
import re
import statistics
import time
import urllib.parse

HOST = "127.0.0.1"
PORT = int(os.environ["PORT"])
KEY = os.environ["KEY"]
STATE = os.environ["STATE"]
ORIGIN = f"http://{HOST}:{PORT}"
FIRST_TEXT_V1 = re.compile(rb'"delta":\{"content":"[^"]')


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


async def post(path, headers, body):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    head = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{PORT}", "Connection: close",
            f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    return reader, writer


async def read_until(reader, pattern, buffer=b""):
    """Reads until `pattern` (a regex) matches; returns (matched, buffer)."""
    while not pattern.search(buffer):
        chunk = await reader.read(65536)
        if not chunk:
            return False, buffer
        buffer += chunk
    return True, buffer


async def drain(reader, writer):
    data = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            break
        data += chunk
    writer.close()
    return data


async def sign_in():
    body = urllib.parse.urlencode({"email": "bench@lab.test", "password": os.environ["PASSWORD"]}).encode()
    reader, writer = await post("/api/sign_in", {
        "Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN,
        "Accept": "application/json"}, body)
    data = await drain(reader, writer)
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    cookies = [line.split(":", 1)[1].strip().split(";", 1)[0]
               for line in head.split("\r\n") if line.lower().startswith("set-cookie:")]
    if not head.startswith("HTTP/1.1 200") or not cookies:
        raise SystemExit(f"sign-in failed:\n{head}")
    return "; ".join(cookies)


DELTA = re.compile(rb"event: delta")
DONE = re.compile(rb"event: (done|error)")


async def playground(cookie, conversation, action="regenerate"):
    """(seconds to the first text, seconds to the end, completed)."""
    body = urllib.parse.urlencode({"action": action}).encode()
    started = time.perf_counter()
    reader, writer = await post(f"/playground/{conversation}/messages", {
        "Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN,
        "Accept": "text/event-stream", "Cookie": cookie}, body)
    found, buffer = await read_until(reader, DELTA)
    first = time.perf_counter() - started
    rest = await drain(reader, writer)
    whole = time.perf_counter() - started
    data = buffer + rest
    completed = found and b'event: done' in data and b'"status":"complete"' in data
    if not found:
        print("  no text:", data[:300])
    return first, whole, completed


async def direct(messages, parameters):
    body = json.dumps({"model": "simulator-chat", "messages": messages, "stream": True,
                       "stream_options": {"include_usage": True}, **parameters}).encode()
    started = time.perf_counter()
    reader, writer = await post("/v1/chat/completions", {
        "Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}, body)
    found, _ = await read_until(reader, FIRST_TEXT_V1)
    first = time.perf_counter() - started
    await drain(reader, writer)
    if not found:
        raise SystemExit("the /v1 stream had no text")
    return first


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def ms(seconds):
    return f"{seconds * 1000:.2f}"


async def main():
    cookie = await sign_in()
    first_conversation = open(f"{STATE}/first.txt").read().split()[0]
    paced = open(f"{STATE}/paced.txt").read().split()
    system = open(f"{STATE}/system.txt").read().rstrip("\n")
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    system = system.replace("{{user_name}}", "Bench").replace("{{date}}", today)
    parameters = json.loads(open(f"{STATE}/parameters.json").read())
    question = ("Explain in plain words: follow up with cardiology in two weeks; "
                "take metoprolol 25 mg twice daily.")
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]

    requests = int(os.environ.get("REQUESTS", "300"))
    # Warm both paths (connections, caches, the learned prompt overhead).
    for _ in range(20):
        await playground(cookie, first_conversation)
        await direct(messages, parameters)
    portal, v1 = [], []
    for _ in range(requests):
        first, _, completed = await playground(cookie, first_conversation)
        if not completed:
            raise SystemExit("a playground reply did not complete")
        portal.append(first)
        v1.append(await direct(messages, parameters))
    print(f"\nfirst streamed text, {requests} sequential requests per path (ms):")
    print("path        p50     p90     p99    mean")
    for name, values in (("/v1", v1), ("playground", portal)):
        print(f"{name:<10} {ms(percentile(values, 50)):>6}  {ms(percentile(values, 90)):>6}  "
              f"{ms(percentile(values, 99)):>6}  {ms(statistics.mean(values)):>6}")
    print(f"added p50: {ms(percentile(portal, 50) - percentile(v1, 50))} ms")

    pid = int(os.environ["PORTAL_PID"])
    for count in [int(c) for c in os.environ.get("STREAMS", "100 250 500").split()]:
        if count > len(paced):
            raise SystemExit(f"only {len(paced)} conversations for {count} streams")
        before = rss_mib(pid)
        peak = [before]

        async def watch(stop):
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mib(pid))
                await asyncio.sleep(0.2)

        stop = asyncio.Event()
        watcher = asyncio.create_task(watch(stop))
        started = time.perf_counter()
        results = await asyncio.gather(
            *(playground(cookie, c) for c in paced[:count]), return_exceptions=True)
        wall = time.perf_counter() - started
        stop.set()
        await watcher
        done = [r for r in results if not isinstance(r, BaseException) and r[2]]
        failed = len(results) - len(done)
        firsts = [r[0] for r in done]
        wholes = [r[1] for r in done]
        print(f"\n{count} concurrent playground streams (400 tokens each, paced):")
        print(f"  completed {len(done)}, failed {failed}, wall {wall:.1f} s")
        if done:
            print(f"  first text p50 {ms(percentile(firsts, 50))} ms, p99 {ms(percentile(firsts, 99))} ms; "
                  f"whole reply p50 {percentile(wholes, 50):.1f} s, p99 {percentile(wholes, 99):.1f} s")
        print(f"  portal memory {before:.0f} MiB before, {peak[0]:.0f} MiB at most")
        for r in results:
            if isinstance(r, BaseException):
                print("  error:", repr(r))
                break


asyncio.run(main())
