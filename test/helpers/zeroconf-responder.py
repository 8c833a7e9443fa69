"""A responder nobody on this project wrote: python-zeroconf (Debian's python3-zeroconf) publishing COUNT
`_macula._tcp` services from one process, for the discovery-scale test and benchmark.

    /usr/bin/python3 zeroconf-responder.py CONFIG_JSON

CONFIG_JSON: {"address": "10.x.y.z", "count": N, "prefix": "zc", "ttl": seconds or null, "fingerprint": "...",
"first": 0}. Each service is instance PREFIX-NNNN on host PREFIX-NNNN.local (A = address), with a valid TXT record
(txtvers first, as shared/fleet/txt-record.ts encodes it). Prints `ready` once every service is registered and
announced; `stop` on stdin unregisters them all (goodbyes, RFC 6762 §10.1) and exits.
"""
import asyncio
import json
import socket
import sys

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

TYPE = "_macula._tcp.local."


def txt(node_id: str, fingerprint: str) -> bytes:
    # Ordered as encodeTxtRecord writes it: txtvers first (RFC 6763 §6.7).
    pairs = [("txtvers", "1"), ("id", node_id), ("st", "unpaired"), ("fp", fingerprint), ("os", "0.1.0"),
             ("arch", "amd64"), ("roles", ""), ("port", "8443")]
    out = b""
    for key, value in pairs:
        item = f"{key}={value}".encode()
        out += bytes([len(item)]) + item
    return out


async def main() -> None:
    config = json.loads(sys.argv[1])
    address = config["address"]
    count = int(config["count"])
    prefix = config.get("prefix", "zc")
    first = int(config.get("first", 0))
    ttl = config.get("ttl")
    fingerprint = config["fingerprint"]
    azc = AsyncZeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
    infos = []
    for i in range(first, first + count):
        name = f"{prefix}-{i:04d}"
        info = AsyncServiceInfo(TYPE, f"{name}.{TYPE}", addresses=[socket.inet_aton(address)], port=8443,
                                server=f"{name}.local.")
        info.text = txt(name, fingerprint)
        if ttl is not None:
            info.host_ttl = int(ttl)
            info.other_ttl = int(ttl)
        infos.append(info)
    # Registered together: each probes (RFC 6762 §8.1) and announces concurrently, as one busy host would.
    tasks = await asyncio.gather(*(azc.async_register_service(info, cooperating_responders=True) for info in infos))
    await asyncio.gather(*tasks)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line or line.strip() == b"stop":
            break
    await azc.async_unregister_all_services()
    await azc.async_close()
    print("stopped", flush=True)


asyncio.run(main())
