"""A minimal, fast HTTP/1.1 receiver for the event benchmark: one asyncio process serving several
ports, answering every POST with 200 at once and counting distinct event ids per port.
`GET /count` (on any port) answers `{"<port>": <distinct events>, …}`.

    python -m bench.event_receiver --ports 18001 18002 …
"""

from __future__ import annotations

import argparse
import asyncio
import json

_counts: dict[int, set[int]] = {}
_OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"result": true}'


async def _serve(port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            if lines[0].startswith("GET /count"):
                answer = json.dumps({str(p): len(ids) for p, ids in _counts.items()}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
            else:
                _counts[port].add(int(json.loads(body)["event_id"]))
                writer.write(_OK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _main(ports: list[int]) -> None:
    servers = []
    for port in ports:
        _counts[port] = set()
        servers.append(await asyncio.start_server(lambda r, w, p=port: _serve(p, r, w), "127.0.0.1", port))
    print("ready", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, nargs="+", required=True)
    asyncio.run(_main(parser.parse_args().ports))


if __name__ == "__main__":
    main()
