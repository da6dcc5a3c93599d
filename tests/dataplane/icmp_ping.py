#!/usr/bin/python3
"""Minimal ICMP / ICMPv6 echo over a raw socket (this machine has no ping):
icmp_ping.py ADDRESS COUNT TIMEOUT_SECONDS.

Sends COUNT echo requests and prints 'received N'; exit status 0 when at least one reply from
ADDRESS came back, 1 otherwise. Needs root (raw sockets). Used by the dataplane and the netvirt
namespace tests."""
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
    v6 = ":" in addr
    family = socket.AF_INET6 if v6 else socket.AF_INET
    want = socket.inet_pton(family, addr)
    if v6:
        # The kernel computes the ICMPv6 checksum (it covers the pseudo-header).
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        request, reply = 128, 129
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        request, reply = 8, 0
    ident = os.getpid() & 0xFFFF
    received = 0
    for seq in range(1, count + 1):
        payload = b"cimnet-nvgre-ping" + bytes(31)
        hdr = struct.pack("!BBHHH", request, 0, 0, ident, seq)
        csum = 0 if v6 else checksum(hdr + payload)
        sock.sendto(struct.pack("!BBHHH", request, 0, csum, ident, seq) + payload, (addr, 0))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                break
            data, src = sock.recvfrom(2048)
            if not v6:  # IPv4 raw sockets hand over the IP header
                data = data[(data[0] & 0xF) * 4:]
            if len(data) < 8 or socket.inet_pton(family, src[0]) != want:
                continue
            typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[:8])
            if typ == reply and rid == ident and rseq == seq:
                received += 1
                break
    print("received %d" % received)
    return 0 if received else 1

if __name__ == "__main__":
    sys.exit(main())
