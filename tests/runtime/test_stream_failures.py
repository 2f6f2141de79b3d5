"""A stream that breaks half-way (the upstream drops the connection) ends with a
clean error for the caller, shows no half-replaced pseudonym, and does not hang."""

from __future__ import annotations

import socket
import threading

import pytest

openai = pytest.importorskip("openai")

from gdpr_lint.runtime import Conversation, protect  # noqa: E402


def _dropping_server(first_event: bytes):
    """A one-shot HTTP server on 127.0.0.1 that starts an SSE reply and then drops."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    seen: list[bytes] = []

    def serve():
        conn, _ = srv.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int([h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0])
            while len(body) < length:
                body += conn.recv(65536)
            seen.append(body)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            conn.sendall(b"%x\r\n%s\r\n" % (len(first_event), first_event))
            # no terminating chunk: the connection just drops
        srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv.getsockname()[1], seen, t


def test_upstream_drop_mid_stream_is_a_clean_error():
    event = (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
             b'"choices":[{"index":0,"delta":{"content":"Hej "},"finish_reason":null}]}\n\n')
    port, seen, thread = _dropping_server(event)
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="test", max_retries=0, timeout=60)
    with Conversation():
        stream = protect(client.chat.completions.create, known={"name": ["Anders Holm"]})(
            model="gpt-4o-mini", stream=True,
            messages=[{"role": "user", "content": "Skriv til Anders Holm"}],
        )
        received = []
        with pytest.raises(Exception) as excinfo:
            for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")
    thread.join(5)
    assert not isinstance(excinfo.value, (AssertionError, KeyError, TypeError)), excinfo.value
    assert b"Anders Holm" not in seen[0]
    assert "".join(received) in ("", "Hej ")
