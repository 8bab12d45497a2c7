#!/usr/bin/env python3
"""Load and abuse client for `axon serve` (bench/run.sh serve). Python 3 standard library only; loopback only.

1. load:  CLIENTS concurrent clients, each streaming POST /v1/completions one after another for DURATION seconds;
          time to first token (TTFT, request sent → first text event), tokens per second over all clients, and
          errors (a status other than 200, a broken event stream, no [DONE]).
2. abuse: ABUSE malformed requests, some at a time: invalid JSON, wrong types, negative / huge max_tokens, prompts
          beyond the context, unknown models, 10 MB bodies, huge headers, garbage bytes, and slowloris-style partial
          requests that trickle and then stall. A well-formed HTTP request must get a 4xx with an OpenAI error object
          ({"error": {"message", "type", "param", "code"}}); one that is not HTTP may also get the HTTP layer's 4xx,
          or be closed. The server must then still answer /health and a completion.

Prints the numbers and ends with
  RESULT ttft_p50_ms=… ttft_p99_ms=… tok_s=… errors=… abuse_survived=0|1
"""
import argparse
import asyncio
import json
import random
import time

HOST = "127.0.0.1"


async def http(port, raw, read_timeout=30.0):
    """Sends raw bytes; returns (status, headers, body) or (None, '', b'') if the server closed without an answer."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(raw)
        await writer.drain()
    except (ConnectionError, OSError):
        pass  # the server may answer (413) and close before it has read everything
    try:
        data = await asyncio.wait_for(reader.read(-1), read_timeout)
    except (ConnectionError, OSError):
        data = b""
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        return None, "", b""
    lines = head.decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), "\r\n".join(lines[1:]).lower(), body


def request(method, path, body=b"", headers=""):
    if isinstance(body, str):
        body = body.encode()
    return (f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n").encode() + body


def unchunk(body):
    out, at = b"", 0
    while True:
        end = body.index(b"\r\n", at)
        size = int(body[at:end], 16)
        if size == 0:
            return out
        out += body[end + 2:end + 2 + size]
        at = end + 4 + size


# ---- 1. load ---------------------------------------------------------------------------------------------------------
PROMPTS = ["It is a truth universally acknowledged", "Mr. Darcy", "She was", "The morning", "Elizabeth",
           "My dear", "In the evening", "Emma"]


async def stream_once(port, max_tokens, stats):
    """One streamed completion; reads the events as they arrive to time the first token."""
    body = json.dumps({"prompt": random.choice(PROMPTS), "max_tokens": max_tokens, "temperature": 0.8,
                       "stream": True}).encode()
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    ok, first, tokens, done = False, None, 0, False
    try:
        writer.write(request("POST", "/v1/completions", body))
        await writer.drain()
        status = await reader.readline()
        if b" 200 " in status:
            buf = b""
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buf += chunk
                # count events as they come (the chunked framing is removed at the end for the check)
                n = buf.count(b'"text":"') - buf.count(b'"text":""')
                if n > 0 and first is None:
                    first = time.perf_counter() - t0
            payload = unchunk(buf.partition(b"\r\n\r\n")[2])
            events = [e for e in payload.split(b"\n\n") if e]
            done = events and events[-1] == b"data: [DONE]"
            for e in events[:-1]:
                if not e.startswith(b"data: "):
                    done = False
                    break
                c = json.loads(e[6:])
                if "error" in c:
                    done = False
                    break
                tokens += bool(c["choices"][0].get("text"))
            ok = bool(done) and first is not None
    except (ConnectionError, OSError, ValueError, KeyError):
        ok = False
    finally:
        writer.close()
    if ok:
        stats["ttft"].append(first)
        stats["tokens"] += tokens
        stats["requests"] += 1
    else:
        stats["errors"] += 1


async def load(port, clients, duration, max_tokens):
    stats = {"ttft": [], "tokens": 0, "requests": 0, "errors": 0}
    end = time.perf_counter() + duration

    async def client():
        while time.perf_counter() < end:
            await stream_once(port, max_tokens, stats)

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    stats["seconds"] = time.perf_counter() - t0
    return stats


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


# ---- 2. abuse --------------------------------------------------------------------------------------------------------
def is_openai_error(status, body):
    try:
        e = json.loads(body)["error"]
        return 400 <= status < 500 and isinstance(e["message"], str) and isinstance(e["type"], str) and \
            "param" in e and "code" in e
    except (ValueError, KeyError, TypeError):
        return False


def bad_bodies(context):
    long_prompt = "the " * (context + 50)
    return [
        ("POST", "/v1/completions", '{"prompt": "a",'),
        ("POST", "/v1/completions", "[1, 2, 3]"),
        ("POST", "/v1/completions", ""),
        ("POST", "/v1/completions", '{"prompt": 42}'),
        ("POST", "/v1/completions", '{"prompt": "a", "max_tokens": -5}'),
        ("POST", "/v1/completions", '{"prompt": "a", "max_tokens": 1e15}'),
        ("POST", "/v1/completions", '{"prompt": "a", "max_tokens": "many"}'),
        ("POST", "/v1/completions", '{"prompt": "a", "temperature": -1}'),
        ("POST", "/v1/completions", '{"prompt": "a", "top_p": "x"}'),
        ("POST", "/v1/completions", '{"prompt": "a", "n": 1000000}'),
        ("POST", "/v1/completions", '{"prompt": "a", "stop": {"x": 1}}'),
        ("POST", "/v1/completions", json.dumps({"prompt": long_prompt})),
        ("POST", "/v1/completions", '{"prompt": "a", "model": "no-such-model"}'),
        ("POST", "/v1/completions", "[" * 100000),
        ("POST", "/v1/completions", '{"prompt": "\\ud800"}'),
        ("POST", "/v1/chat/completions", '{"messages": "hello"}'),
        ("POST", "/v1/chat/completions", '{"messages": [{"role": 1, "content": null}]}'),
        ("POST", "/v1/classify", '{"image": "////"}'),
        ("POST", "/v1/classify", '{"image": [[1, 2], 3]}'),
        ("POST", "/v1/translate", '{"text": 5}'),
        ("POST", "/v1/ner", "{}"),
        ("GET", "/v1/completions", ""),
        ("POST", "/nope", "{}"),
    ]


async def slowloris(port, trickle_s, stall_s):
    """A partial request that trickles a byte now and then and then stalls: the server must close it."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n")
        end = time.perf_counter() + trickle_s
        while time.perf_counter() < end:
            writer.write(b"X")
            await writer.drain()
            await asyncio.sleep(0.5)
        data = await asyncio.wait_for(reader.read(-1), stall_s)  # closed by the server's idle timeout
        return True if not data or data.startswith(b"HTTP/1.1 4") else False
    except asyncio.TimeoutError:
        return False
    except (ConnectionError, OSError):
        return True
    finally:
        writer.close()


async def one_abuse(port, i, cases, idle_timeout):
    kind = i % 10
    if kind == 7 and i % 50 == 7:  # 10 MB body (20 of 1000)
        status, _, body = await http(port, request("POST", "/v1/completions", b'{"prompt": "' + b"a" * (10 << 20)))
        return status is None or is_openai_error(status, body)
    if kind == 8 and i % 50 == 8:  # slowloris (20 of 1000)
        return await slowloris(port, 1.0, idle_timeout + 10)
    if kind == 9 and i % 20 == 9:  # not HTTP, or headers far too large: the HTTP layer may answer
        raw = random.choice([b"\x16\x03\x01\x02\x00garbage\r\n\r\n", b"GET / HTTP/1.1\r\nX: " + b"y" * 200000 + b"\r\n\r\n",
                             b"BREW /coffee HTCPCP/1.0\r\n\r\n"])
        status, _, _ = await http(port, raw)
        return status is None or 400 <= status < 500
    method, path, body = cases[i % len(cases)]
    status, headers, answer = await http(port, request(method, path, body))
    if status is not None and "transfer-encoding: chunked" in headers:
        answer = unchunk(answer)
    return status is not None and is_openai_error(status, answer)


async def abuse(port, n, context, idle_timeout, parallel=16):
    cases, bad, sem = bad_bodies(context), [], asyncio.Semaphore(parallel)

    async def run(i):
        async with sem:
            if not await one_abuse(port, i, cases, idle_timeout):
                bad.append(i)

    await asyncio.gather(*(run(i) for i in range(n)))
    return bad


async def healthy(port):
    status, _, body = await http(port, request("GET", "/health"))
    if status != 200 or json.loads(body).get("status") != "ok":
        return False
    status, _, body = await http(port, request("POST", "/v1/completions", '{"prompt": "Emma", "max_tokens": 5}'))
    return status == 200 and len(json.loads(body)["choices"]) == 1


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--abuse", type=int, default=1000)
    ap.add_argument("--context", type=int, default=128, help="the model's context length")
    ap.add_argument("--idle-timeout", type=float, default=5, help="the server's --idle-timeout")
    a = ap.parse_args()
    random.seed(1)
    s = await load(a.port, a.clients, a.duration, a.max_tokens)
    p50, p99 = percentile(s["ttft"], 0.5) * 1000, percentile(s["ttft"], 0.99) * 1000
    tok_s = s["tokens"] / s["seconds"]
    print(f"load: {a.clients} clients, {s['seconds']:.1f} s: {s['requests']} requests, {s['tokens']} tokens "
          f"({tok_s:.0f} tokens/s), TTFT p50 {p50:.1f} ms, p99 {p99:.1f} ms, {s['errors']} errors")
    t0 = time.perf_counter()
    bad = await abuse(a.port, a.abuse, a.context, a.idle_timeout)
    ok = await healthy(a.port)
    print(f"abuse: {a.abuse} malformed requests in {time.perf_counter() - t0:.1f} s, {len(bad)} answered wrongly "
          f"{bad[:10]}; healthy afterwards: {ok}")
    print(f"RESULT ttft_p50_ms={p50:.1f} ttft_p99_ms={p99:.1f} tok_s={tok_s:.0f} errors={s['errors']} "
          f"abuse_survived={int(ok and not bad)}")


if __name__ == "__main__":
    asyncio.run(main())
