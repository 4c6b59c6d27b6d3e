"""tftp_client.py: the TFTP client of bench/tftp.py: a read request with RFC 2347 options (blksize RFC 2348,
tsize RFC 2349, windowsize RFC 7440), the transfer from the server's TID with block-number rollover, an ACK per
window (and one ACK of the last block in order when a block is missing, RFC 7440), retransmission of the last
ACK when the server goes quiet, and an optional prefix: stop after LIMIT bytes (ERROR 0 to the server) to measure
a slow path without waiting for the whole file. Returns the bytes' SHA-256, their count and the wall time from
the request to the last byte.

    python3 bench/tftp_client.py HOST PORT FILE [--blksize N] [--window N] [--limit BYTES]
"""
import argparse
import hashlib
import socket
import struct
import sys
import time

RRQ, DATA, ACK, ERROR, OACK = 1, 3, 4, 5, 6


class TftpError(Exception):
    pass


class NoWindowsize(TftpError):
    """The server's OACK left windowsize out: it does not accept RFC 7440."""


def _bigbuf(s, opt, size):
    """A socket buffer of size: SO_RCVBUFFORCE / SO_SNDBUFFORCE as root (a window of 64 blocks overflows the
    default rmem_max while Python catches up, and a drop costs a go-back), else what the limit allows."""
    force = {socket.SO_RCVBUF: 33, socket.SO_SNDBUF: 32}[opt]   # SO_RCVBUFFORCE, SO_SNDBUFFORCE
    try:
        s.setsockopt(socket.SOL_SOCKET, force, size)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, opt, size)


def _request(name, blksize, window, tsize):
    opts = []
    if blksize:
        opts += [b"blksize", str(blksize).encode()]
    if tsize:
        opts += [b"tsize", b"0"]
    if window:
        opts += [b"windowsize", str(window).encode()]
    return struct.pack("!H", RRQ) + b"\0".join([name.encode(), b"octet"] + opts) + b"\0"


def _oack(pkt):
    parts = pkt[2:].split(b"\0")
    return {parts[i].decode().lower(): parts[i + 1].decode() for i in range(0, len(parts) - 1, 2)}


def get(host, port, name, blksize=1468, window=1, limit=None, timeout=3.0, tries=5):
    """Downloads name; returns dict(bytes=, seconds=, sha256=, oack=, complete=). window > 1 asks windowsize and
    raises NoWindowsize when the server does not acknowledge it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    _bigbuf(s, socket.SO_RCVBUF, 4 << 20)
    s.settimeout(timeout)
    h = hashlib.sha256()
    t0 = time.monotonic()
    try:
        return _run(s, (host, port), name, blksize, window, limit, tries, h, t0)
    finally:
        s.close()


def _run(s, server, name, blksize, window, limit, tries, h, t0):
    req = _request(name, blksize, window if window > 1 else 0, True)
    s.sendto(req, server)
    tid, oack = None, {}
    blk, win = 512, 1
    nxt, inwin, got, gap, quiet = 1, 0, 0, False, 0
    last_sent = req
    while True:
        try:
            pkt, peer = s.recvfrom(70000)
        except socket.timeout:
            quiet += 1
            if quiet > tries:
                raise TftpError("no answer from %s:%d" % server)
            s.sendto(last_sent, tid or server)
            continue
        if tid and peer != tid:
            s.sendto(struct.pack("!HH", ERROR, 5) + b"unknown transfer ID\0", peer)
            continue
        tid, quiet = peer, 0
        op = struct.unpack("!H", pkt[:2])[0]
        if op == ERROR:
            raise TftpError("server error %d: %s" % (struct.unpack("!H", pkt[2:4])[0],
                                                     pkt[4:].split(b"\0")[0].decode(errors="replace")))
        if op == OACK:
            oack = _oack(pkt)
            blk = int(oack.get("blksize", 512))
            if window > 1 and "windowsize" not in oack:
                s.sendto(struct.pack("!HH", ERROR, 8) + b"windowsize not acknowledged\0", tid)
                raise NoWindowsize("no windowsize in the OACK")
            win = int(oack.get("windowsize", 1))
            last_sent = struct.pack("!HH", ACK, 0)
            s.sendto(last_sent, tid)
            continue
        if op != DATA:
            continue
        if struct.unpack("!H", pkt[2:4])[0] != nxt & 0xffff:
            if not gap:   # one ACK of the last block in order per gap: the server goes back to it
                last_sent = struct.pack("!HH", ACK, (nxt - 1) & 0xffff)
                s.sendto(last_sent, tid)
            gap, inwin = True, 0
            continue
        gap = False
        data = pkt[4:]
        if limit is not None and got + len(data) >= limit:
            data = data[:limit - got]
        h.update(data)
        got += len(data)
        nxt += 1
        if limit is not None and got >= limit:
            seconds = time.monotonic() - t0
            s.sendto(struct.pack("!HH", ERROR, 0) + b"prefix received\0", tid)
            return dict(bytes=got, seconds=seconds, sha256=h.hexdigest(), oack=oack, complete=False)
        inwin += 1
        last = len(pkt) - 4 < blk
        if last or inwin == win:
            last_sent = struct.pack("!HH", ACK, (nxt - 1) & 0xffff)
            s.sendto(last_sent, tid)
            inwin = 0
        if last:
            return dict(bytes=got, seconds=time.monotonic() - t0, sha256=h.hexdigest(), oack=oack, complete=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("file")
    ap.add_argument("--blksize", type=int, default=1468)
    ap.add_argument("--window", type=int, default=1)
    ap.add_argument("--limit", type=int)
    a = ap.parse_args()
    r = get(a.host, a.port, a.file, a.blksize, a.window, a.limit)
    print("%d bytes in %.3f s (%.1f MiB/s) sha256 %s oack %s" % (r["bytes"], r["seconds"],
          r["bytes"] / r["seconds"] / 2**20, r["sha256"], r["oack"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
