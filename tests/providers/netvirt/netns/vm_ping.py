#!/usr/bin/python3
"""ICMP / ICMPv6 echo over a raw socket (no dependency on iputils):
vm_ping.py ADDRESS COUNT TIMEOUT_SECONDS. Prints 'received N'; exit status 0
when at least one reply came back, 1 otherwise. Needs root."""
import os
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    addr, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    v6 = ':' in addr
    if v6:
        # The kernel computes the ICMPv6 checksum (it covers the pseudo-header).
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        request, reply, skip = 128, 129, 0
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        request, reply, skip = 8, 0, 20  # IPv4 raw sockets hand over the IP header
    ident = os.getpid() & 0xFFFF
    received = 0
    for seq in range(1, count + 1):
        payload = b"cimnet-netvirt-ping" + bytes(29)
        hdr = struct.pack("!BBHHH", request, 0, 0, ident, seq)
        csum = 0 if v6 else checksum(hdr + payload)
        sock.sendto(struct.pack("!BBHHH", request, 0, csum, ident, seq) + payload, (addr, 0))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                break
            data = sock.recv(2048)[skip:]
            if len(data) >= 8:
                t, _, _, i, s = struct.unpack("!BBHHH", data[:8])
                if t == reply and i == ident and s == seq:
                    received += 1
                    break
    print("received", received)
    sys.exit(0 if received else 1)


main()
