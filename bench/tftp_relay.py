"""tftp_relay.py: a userspace UDP delay relay for TFTP (this host's kernel has no netem): every packet is held
DELAY_MS before it is passed on, in each direction, so DELAY_MS 12.5 makes a 25 ms round trip.

    python3 bench/tftp_relay.py LISTEN_PORT SERVER_PORT DELAY_MS      (127.0.0.1; prints "ready" when bound)

TFTP moves to a new port per transfer (the server's TID), so the relay does too: a client's request to
LISTEN_PORT goes to the server from an upstream socket of that client; when the server answers from a new port,
the relay opens a downstream socket of its own for that TID and passes the server's packets to the client from
it, and the client's packets to it on to the server's TID. One thread, a heap of packets due.
"""
import heapq
import itertools
import selectors
import socket
import sys
import time

LO = "127.0.0.1"


def udp(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):   # *BUFFORCE as root: past rmem_max
        try:
            s.setsockopt(socket.SOL_SOCKET, force, 8 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
    s.bind((LO, port))
    s.setblocking(False)
    return s


class Relay:
    def __init__(self, listen_port, server_port, delay):
        self.server = (LO, server_port)
        self.delay = delay
        self.sel = selectors.DefaultSelector()
        self.heap, self.seq = [], itertools.count()
        self.listen = udp(listen_port)
        self.sel.register(self.listen, selectors.EVENT_READ, self.from_client_request)
        self.upstream = {}     # client addr -> upstream socket
        self.down = {}         # (client addr, server TID) -> downstream socket

    def later(self, sock, data, addr):
        heapq.heappush(self.heap, (time.monotonic() + self.delay, next(self.seq), sock, data, addr))

    def from_client_request(self, sock):
        data, client = sock.recvfrom(70000)
        up = self.upstream.get(client)
        if up is None:
            up = self.upstream[client] = udp()
            self.sel.register(up, selectors.EVENT_READ, lambda s, c=client: self.from_server(s, c))
        self.later(up, data, self.server)

    def from_server(self, sock, client):
        data, tid = sock.recvfrom(70000)
        if tid == self.server:      # an answer from the listening port itself (an ERROR)
            self.later(self.listen, data, client)
            return
        d = self.down.get((client, tid))
        if d is None:
            d = self.down[(client, tid)] = udp()
            self.sel.register(d, selectors.EVENT_READ, lambda s, u=sock, t=tid: self.from_client(s, u, t))
        self.later(d, data, client)

    def from_client(self, sock, up, tid):
        data, _ = sock.recvfrom(70000)
        self.later(up, data, tid)

    def run(self):
        print("ready", flush=True)
        while True:
            now = time.monotonic()
            while self.heap and self.heap[0][0] <= now:
                _, _, sock, data, addr = heapq.heappop(self.heap)
                try:
                    sock.sendto(data, addr)
                except OSError:
                    pass    # a full buffer is a lost packet, as on a wire
            timeout = max(0.0, self.heap[0][0] - now) if self.heap else 1.0
            for key, _ in self.sel.select(timeout):
                for _ in range(64):
                    try:
                        key.data(key.fileobj)
                    except BlockingIOError:
                        break


def main():
    listen_port, server_port, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    Relay(listen_port, server_port, delay_ms / 1000.0).run()


if __name__ == "__main__":
    main()
