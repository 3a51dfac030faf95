#!/usr/bin/env python3
"""A tiny authoritative DNS responder for the SlipsP2P lab (RFC 1035 wire format, UDP only).

usage: dns-responder.py BIND_ADDR DOMAIN IPV4 IPV6

Answers A and AAAA for DOMAIN and any name under it with IPV4 / IPV6 (TTL 300), an empty answer
for other types under DOMAIN, NXDOMAIN for names outside DOMAIN, and FORMERR for anything it
cannot parse. It prints "ready" once bound. It only ever runs inside a lab namespace.
"""
import ipaddress
import socket
import struct
import sys

MAX_NAME = 255


def parse_question(msg):
    """Returns (qname lowercased, qtype, qclass, end offset) or None when malformed."""
    if len(msg) < 12:
        return None
    qdcount = struct.unpack_from("!H", msg, 4)[0]
    if qdcount != 1:
        return None
    labels, off = [], 12
    while True:
        if off >= len(msg):
            return None
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n > 63 or off + n > len(msg):
            return None  # compression pointers are not valid in a question we accept
        labels.append(msg[off:off + n].decode("ascii", "replace").lower())
        off += n
        if sum(len(x) + 1 for x in labels) > MAX_NAME:
            return None
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack_from("!HH", msg, off)
    return ".".join(labels), qtype, qclass, off + 4


def answer(msg, domain, a, aaaa):
    q = parse_question(msg)
    ident = msg[:2] if len(msg) >= 2 else b"\0\0"
    if q is None:
        # QR=1, opcode 0, RCODE=1 (FORMERR), no sections.
        return ident + struct.pack("!HHHHH", 0x8001, 0, 0, 0, 0)
    name, qtype, qclass, end = q
    question = msg[12:end]
    rd = struct.unpack_from("!H", msg, 2)[0] & 0x0100
    inside = name == domain or name.endswith("." + domain)
    records = []
    if inside and qclass == 1:
        if qtype == 1:
            records.append((1, a))
        elif qtype == 28:
            records.append((28, aaaa))
    # QR=1, AA=1, RD copied, RA=0, RCODE 0 or 3 (NXDOMAIN).
    flags = 0x8400 | rd | (0 if inside else 3)
    out = bytearray(msg[:2] + struct.pack("!HHHHH", flags, 1, len(records), 0, 0) + question)
    for rtype, rdata in records:
        # Name: pointer to the question's name at offset 12.
        out += struct.pack("!HHHIH", 0xC00C, rtype, 1, 300, len(rdata)) + rdata
    return bytes(out)


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    bind, domain = sys.argv[1], sys.argv[2].lower().rstrip(".")
    a = ipaddress.IPv4Address(sys.argv[3]).packed
    aaaa = ipaddress.IPv6Address(sys.argv[4]).packed
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((bind, 53))
    print("ready", flush=True)
    while True:
        msg, peer = sock.recvfrom(512)
        sock.sendto(answer(msg, domain, a, aaaa), peer)


if __name__ == "__main__":
    sys.exit(main())
