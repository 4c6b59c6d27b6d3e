"""pxe_client.py: the fleet simulator's clients (bench/pxe_fleet.py starts it inside the lab's namespace).

N simulated hosts, each with its own MAC, in one asyncio loop:
  1. DHCP DORA as a BIOS PXE ROM asks (option 60 PXEClient:Arch:00000, 93 = 0, 94, 97), broadcast flag set so
     the server answers by broadcast; sent from a namespace without an IPv4 address, so the packets leave with
     source 0.0.0.0 as a ROM's do. One shared DHCP socket, answers dispatched by xid and chaddr;
  2. TFTP of the boot file the offer named (blksize 1468, tsize; windowsize only with --window), from the
     server the offer named, one socket per host, retransmission on timeout;
  3. HTTP GET of every artifact (kernel and modules) over one keep-alive connection per host; the body is
     counted (Content-Length must match), not kept.
Prints one JSON object: per-host phase times, failures with reasons, bytes.
"""
import argparse
import asyncio
import ctypes
import json
import os
import random
import resource
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
SCRATCH = bytearray(1 << 20)  # HTTP bodies are read into this and dropped


def socket_in_netns(ns_name, make):
    """Runs make() with this thread in network namespace ns_name, then returns to ours: the socket it creates
    stays in ns_name."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    other = os.open("/run/netns/" + ns_name, os.O_RDONLY)
    try:
        if libc.setns(other, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns_name)
        try:
            return make()
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(other)


# ---------------------------------------------------------------------------------------------------------------
# DHCP

def dhcp_packet(msg_type, xid, mac, uuid, extra=b""):
    hdr = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, xid, 0, 0x8000, 0, 0, 0, 0) + mac + bytes(10) + bytes(192)
    opts = bytes([53, 1, msg_type])
    opts += bytes([55, 9, 1, 3, 6, 43, 60, 66, 67, 128, 129])
    vci = b"PXEClient:Arch:00000:UNDI:002001"
    opts += bytes([60, len(vci)]) + vci
    opts += bytes([93, 2, 0, 0, 94, 3, 1, 2, 1, 97, 17, 0]) + uuid
    opts += bytes([57, 2, 0x05, 0xc0])  # 1472
    return hdr + b"\x63\x82\x53\x63" + opts + extra + b"\xff"


def dhcp_parse(data):
    """(xid, chaddr, yiaddr, siaddr, file, options dict) of a reply, or None."""
    if len(data) < 240 or data[0] != 2 or data[236:240] != b"\x63\x82\x53\x63":
        return None
    xid = struct.unpack_from("!I", data, 4)[0]
    yiaddr, siaddr = socket.inet_ntoa(data[16:20]), socket.inet_ntoa(data[20:24])
    chaddr = bytes(data[28:34])
    fname = data[108:236].split(b"\0", 1)[0].decode("latin-1")
    opts, i = {}, 240
    while i < len(data):
        code = data[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        n = data[i + 1]
        opts[code] = bytes(data[i + 2:i + 2 + n])
        i += 2 + n
    return xid, chaddr, yiaddr, siaddr, fname, opts


class DhcpPort(asyncio.DatagramProtocol):
    """The shared client socket on port 68: replies go to the waiter registered for (xid, chaddr)."""

    def __init__(self):
        self.waiters = {}
        self.transport = None
        self.stray = 0

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        p = dhcp_parse(data)
        q = self.waiters.get((p[0], p[1])) if p else None
        if q is None:
            self.stray += 1
            return
        q.put_nowait(p)

    async def exchange(self, pkt, xid, mac, want, tries=4, first_timeout=2.0):
        """Sends pkt (broadcast) until a reply of type want comes; returns the parsed reply and the number of
        sends. Raises RuntimeError after tries sends, or on a NAK."""
        q = asyncio.Queue()
        self.waiters[(xid, mac)] = q
        timeout = first_timeout
        try:
            for attempt in range(1, tries + 1):
                self.transport.sendto(pkt, ("255.255.255.255", 67))
                deadline = time.monotonic() + timeout
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        p = await asyncio.wait_for(q.get(), left)
                    except asyncio.TimeoutError:
                        break
                    mt = p[5].get(53, b"\0")[0]
                    if mt == 6:
                        raise RuntimeError("DHCPNAK")
                    if mt == want:
                        return p, attempt
                timeout *= 2
            raise RuntimeError("no DHCP reply type %d after %d sends" % (want, tries))
        finally:
            del self.waiters[(xid, mac)]


async def dora_once(port, mac, uuid):
    xid = random.getrandbits(32)
    offer, n1 = await port.exchange(dhcp_packet(1, xid, mac, uuid), xid, mac, 2)
    server_id = offer[5].get(54)
    if not server_id or offer[2] == "0.0.0.0":
        raise RuntimeError("offer without address or server id")
    req = bytes([50, 4]) + socket.inet_aton(offer[2]) + bytes([54, 4]) + server_id
    ack, n2 = await port.exchange(dhcp_packet(3, xid, mac, uuid, req), xid, mac, 5)
    boot_file = ack[4] or offer[4] or ack[5].get(67, offer[5].get(67, b"")).rstrip(b"\0").decode("latin-1")
    next_server = ack[3] if ack[3] != "0.0.0.0" else offer[3]
    if next_server == "0.0.0.0":
        next_server = socket.inet_ntoa(server_id)
    return ack[2], next_server, boot_file, n1 + n2 - 2


async def dora(port, mac, uuid, rounds=6):
    """DORA; a NAK or a REQUEST left unanswered starts over (as a ROM does), at most rounds times. Returns
    (address, next server, boot file, retransmissions, restarts)."""
    for r in range(rounds):
        try:
            ip, nxt, boot_file, retrans = await dora_once(port, mac, uuid)
            return ip, nxt, boot_file, retrans, r
        except RuntimeError:
            if r == rounds - 1:
                raise
            await asyncio.sleep(random.uniform(0.5, 1.5))


# ---------------------------------------------------------------------------------------------------------------
# TFTP

class TftpClient(asyncio.DatagramProtocol):
    def __init__(self):
        self.q = asyncio.Queue()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.q.put_nowait((data, addr))

    def error_received(self, exc):
        self.q.put_nowait((None, exc))


async def tftp_get(bind_ip, server, path, blksize, window, timeout=1.0, retries=6):
    """Reads path; returns (bytes received, retransmissions)."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(TftpClient, local_addr=(bind_ip, 0))
    try:
        opts = b"blksize\0%d\0tsize\0000\0" % blksize
        if window:
            opts += b"windowsize\0%d\0" % window
        rrq = b"\0\x01" + path.encode() + b"\0octet\0" + opts
        peer = (server, 69)
        last = rrq
        transport.sendto(rrq, peer)
        got, expect, blk, win, tsize, retrans, misses = 0, 1, 512, 1, None, 0, 0
        while True:
            try:
                data, addr = await asyncio.wait_for(proto.q.get(), timeout)
            except asyncio.TimeoutError:
                misses += 1
                retrans += 1
                if misses > retries:
                    raise RuntimeError("TFTP %s: timeout after %d retries (%d bytes)" % (path, retries, got))
                transport.sendto(last, peer)
                continue
            if data is None:
                raise RuntimeError("TFTP %s: %s" % (path, addr))
            if peer[1] == 69 and addr[0] == server:
                peer = addr  # the server's transfer ID
            elif addr != peer:
                continue
            op = struct.unpack_from("!H", data)[0] if len(data) >= 2 else 0
            if op == 5:
                raise RuntimeError("TFTP %s: error %d %s" % (path, struct.unpack_from("!H", data, 2)[0],
                                                              data[4:].split(b"\0")[0].decode("latin-1")))
            if op == 6:  # OACK
                f = data[2:].split(b"\0")
                o = {f[i].decode().lower(): f[i + 1].decode() for i in range(0, len(f) - 1, 2)}
                blk = int(o.get("blksize", 512))
                win = int(o.get("windowsize", 1))
                tsize = int(o["tsize"]) if "tsize" in o else None
                last = b"\0\x04\0\0"
                transport.sendto(last, peer)
                misses = 0
                continue
            if op != 3 or len(data) < 4:
                continue
            n = struct.unpack_from("!H", data, 2)[0]
            if n != expect & 0xFFFF:
                if win > 1:  # a gap: ack the last good block, the server resends from there
                    last = struct.pack("!HH", 4, (expect - 1) & 0xFFFF)
                    transport.sendto(last, peer)
                continue
            misses = 0
            size = len(data) - 4
            got += size
            final = size < blk
            if final or win == 1 or expect % win == 0:
                last = struct.pack("!HH", 4, n)
                transport.sendto(last, peer)
            expect += 1
            if final:
                if tsize is not None and got != tsize:
                    raise RuntimeError("TFTP %s: %d bytes, tsize said %d" % (path, got, tsize))
                return got, retrans
    finally:
        transport.close()


# ---------------------------------------------------------------------------------------------------------------
# HTTP

async def http_get_all(server, port, paths, sizes, host_no):
    """GETs every path over one keep-alive connection; returns bytes of bodies."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    total = 0
    try:
        await loop.sock_connect(sock, (server, port))
        for path, size in zip(paths, sizes):
            req = ("GET /%s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: ramhost-fleet/%d\r\n\r\n" % (
                path, server, port, host_no)).encode()
            await loop.sock_sendall(sock, req)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = await loop.sock_recv(sock, 65536)
                if not chunk:
                    raise RuntimeError("HTTP %s: connection closed in the header" % path)
                head += chunk
            end = head.index(b"\r\n\r\n") + 4
            status = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status + b" ":
                raise RuntimeError("HTTP %s: %s" % (path, status.decode("latin-1")))
            length = None
            for line in head[:end].split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v.strip())
            if length is None or (size is not None and length != size):
                raise RuntimeError("HTTP %s: Content-Length %s, want %s" % (path, length, size))
            have = len(head) - end
            left = length - have
            view = memoryview(SCRATCH)
            while left > 0:
                n = await loop.sock_recv_into(sock, view[:min(left, len(SCRATCH))])
                if n == 0:
                    raise RuntimeError("HTTP %s: closed with %d bytes left" % (path, left))
                left -= n
            total += length
        return total
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------------------------

async def host(i, a, dhcp, sem_http, t_start):
    mac = bytes.fromhex(a.mac_prefix.replace(":", ""))[:3] + struct.pack("!I", i)[1:]  # 3-byte prefix, host no.
    uuid = struct.pack("!I", i) + bytes(12)
    r = {"host": i, "mac": mac.hex(":")}
    await asyncio.sleep(random.uniform(0, a.ramp) if a.ramp else 0)
    r["start"] = time.monotonic() - t_start
    phase = "dhcp"
    try:
        ip, next_server, boot_file, dhcp_retrans, restarts = await dora(dhcp, mac, uuid)
        r.update(ip=ip, dhcp=time.monotonic() - t_start, dhcp_retrans=dhcp_retrans, dhcp_restarts=restarts)
        phase = "tftp"
        if boot_file != a.boot_file:
            raise RuntimeError("boot file %r, want %r" % (boot_file, a.boot_file))
        for attempt in range(3):
            try:
                got, retrans = await tftp_get(a.bind, next_server, boot_file, a.blksize, a.window)
                break
            except RuntimeError as e:
                if attempt == 2:
                    raise
                r.setdefault("tftp_errors", []).append(str(e))
                await asyncio.sleep(1 + random.random())
        if a.boot_size and got != a.boot_size:
            raise RuntimeError("TFTP %s: %d bytes, want %d" % (boot_file, got, a.boot_size))
        r.update(tftp=time.monotonic() - t_start, tftp_retrans=retrans, tftp_bytes=got)
        phase = "http"
        async with sem_http:
            r["http_bytes"] = await asyncio.wait_for(
                http_get_all(a.http_server or next_server, a.http_port, a.paths, a.sizes, i), a.http_timeout)
        r["http"] = time.monotonic() - t_start
    except Exception as e:  # noqa: BLE001 - every failure is counted and named
        r["failed"] = phase
        r["why"] = "%s: %s" % (type(e).__name__, e)
    r["end"] = time.monotonic() - t_start
    return r


async def main_async(a):
    loop = asyncio.get_running_loop()

    def make_dhcp_socket():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.dhcp_if.encode())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("0.0.0.0", 68))
        s.setblocking(False)
        return s

    s = socket_in_netns(a.dhcp_ns, make_dhcp_socket) if a.dhcp_ns else make_dhcp_socket()
    _, dhcp = await loop.create_datagram_endpoint(DhcpPort, sock=s)
    sem_http = asyncio.Semaphore(a.http_parallel)
    t0 = time.monotonic()
    results = await asyncio.gather(*(host(i, a, dhcp, sem_http, t0) for i in range(1, a.n + 1)))
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"n": a.n, "wall": wall, "hosts": results, "stray_dhcp": dhcp.stray,
            "client_cpu": ru.ru_utime + ru.ru_stime}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--dhcp-ns", default="", help="namespace (no IPv4 address) the DHCP socket is opened in")
    ap.add_argument("--dhcp-if", default="eth0")
    ap.add_argument("--bind", required=True, help="this namespace's address for TFTP")
    ap.add_argument("--boot-file", required=True)
    ap.add_argument("--boot-size", type=int, default=0)
    ap.add_argument("--blksize", type=int, default=1468)
    ap.add_argument("--window", type=int, default=0)
    ap.add_argument("--http-server", default="")
    ap.add_argument("--http-port", type=int, default=8080)
    ap.add_argument("--http-parallel", type=int, default=100000)
    ap.add_argument("--http-timeout", type=float, default=600)
    ap.add_argument("--path", action="append", default=[], help="PATH:SIZE of an artifact")
    ap.add_argument("--mac-prefix", default="52:54:01")
    ap.add_argument("--ramp", type=float, default=0.0, help="hosts power on spread over this many seconds")
    a = ap.parse_args()
    a.paths = [p.rsplit(":", 1)[0] for p in a.path]
    a.sizes = [int(p.rsplit(":", 1)[1]) for p in a.path]
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    random.seed(os.getpid())
    out = asyncio.run(main_async(a))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
