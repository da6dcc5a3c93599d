#!/usr/bin/python3
"""Minimal ICMP echo (this machine has no ping): icmp_ping.py ADDRESS COUNT TIMEOUT_SECONDS.

Sends COUNT echo requests over a raw socket and prints 'received N'; exit status 0 when at least
one reply came back, 1 otherwise. Needs root (raw sockets)."""
import os, select, socket, struct, sys, time

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def main():
    addr, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    received = 0
    for seq in range(1, count + 1):
        payload = b"cimnet-nvgre-ping" + bytes(31)
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident, seq) + payload
        sock.sendto(pkt, (addr, 0))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([sock], [], [], left)
            if not r:
                break
            data, src = sock.recvfrom(2048)
            ihl = (data[0] & 0xF) * 4
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident and rseq == seq and src[0] == addr:
                received += 1
                break
    print("received %d" % received)
    return 0 if received else 1

if __name__ == "__main__":
    sys.exit(main())
