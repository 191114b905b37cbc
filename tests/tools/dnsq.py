#!/usr/bin/env python3
"""dnsq: one DNS question, asked and answered by hand, for the tests and benches.

Usage: dnsq.py SERVER NAME [TYPE] [--tcp] [--source ADDR] [--timeout S] [--no-rd]
       [--raw HEX] [--until-answered SECONDS]

Prints one line: "RCODE [flags] answer answer ..." where RCODE is NOERROR,
NXDOMAIN, SERVFAIL, REFUSED, FORMERR, NOTIMP or TIMEOUT, flags are aa/tc, and
each answer is an address (A/AAAA) or a name (PTR). Exit status 0 when a reply
came, 1 on timeout, 2 on bad usage. --raw sends the given bytes instead of a
question (a hostile query) and prints the reply's rcode, or TIMEOUT.
No DNS library: the tests must not share code with what they test.
"""
import ipaddress
import random
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def question(name, qtype, rd=True):
    qid = random.randrange(65536)
    header = struct.pack("!HHHHHH", qid, 0x0100 if rd else 0, 1, 0, 0, 0)
    return qid, header + encode_name(name) + struct.pack("!HH", qtype, 1)


def read_name(msg, at):
    labels, jumped, end, hops = [], False, at, 0
    while True:
        n = msg[at]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = at + 2
            at = ((n & 0x3F) << 8) | msg[at + 1]
            jumped, hops = True, hops + 1
            if hops > 50:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            return ".".join(labels), (end if jumped else at + 1)
        labels.append(msg[at + 1:at + 1 + n].decode("ascii", "replace"))
        at += n + 1


def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    at = 12
    for _ in range(qd):
        _, at = read_name(msg, at)
        at += 4
    answers = []
    for _ in range(an):
        _, at = read_name(msg, at)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[at:at + 10])
        at += 10
        data = msg[at:at + rdlen]
        if rtype == 1:
            answers.append(str(ipaddress.IPv4Address(data)))
        elif rtype == 28:
            answers.append(str(ipaddress.IPv6Address(data)))
        elif rtype in (5, 12):
            answers.append(read_name(msg, at)[0])
        else:
            answers.append("type%d" % rtype)
        at += rdlen
    tags = [t for t, bit in (("aa", 0x0400), ("tc", 0x0200), ("ra", 0x0080)) if flags & bit]
    return qid, RCODES.get(flags & 0xF, str(flags & 0xF)), tags, answers


def exchange(server, payload, tcp, source, timeout):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    try:
        if source:
            sock.bind((source, 0))
        if tcp:
            sock.connect((server, 53))
            sock.sendall(struct.pack("!H", len(payload)) + payload)
            size = b""
            while len(size) < 2:
                chunk = sock.recv(2 - len(size))
                if not chunk:
                    return None
                size += chunk
            want = struct.unpack("!H", size)[0]
            data = b""
            while len(data) < want:
                chunk = sock.recv(want - len(data))
                if not chunk:
                    return None
                data += chunk
            return data
        sock.sendto(payload, (server, 53))
        return sock.recvfrom(65535)[0]
    except (socket.timeout, ConnectionRefusedError, ConnectionResetError, OSError):
        return None
    finally:
        sock.close()


def main(argv):
    args, opts = [], {"tcp": False, "source": None, "timeout": 2.0, "rd": True, "raw": None, "until": None}
    it = iter(argv)
    for a in it:
        if a == "--tcp":
            opts["tcp"] = True
        elif a == "--source":
            opts["source"] = next(it)
        elif a == "--timeout":
            opts["timeout"] = float(next(it))
        elif a == "--no-rd":
            opts["rd"] = False
        elif a == "--raw":
            opts["raw"] = bytes.fromhex(next(it))
        elif a == "--until-answered":
            opts["until"] = float(next(it))
        else:
            args.append(a)
    if opts["raw"] is not None:
        if len(args) != 1:
            print(__doc__, file=sys.stderr)
            return 2
        reply = exchange(args[0], opts["raw"], opts["tcp"], opts["source"], opts["timeout"])
        if reply is None or len(reply) < 12:
            print("TIMEOUT")
            return 1
        print(RCODES.get(reply[3] & 0xF, str(reply[3] & 0xF)))
        return 0
    if len(args) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    server, name = args[0], args[1]
    qtype = TYPES[args[2].upper()] if len(args) == 3 else 1
    deadline = time.monotonic() + (opts["until"] or 0)
    while True:
        qid, payload = question(name, qtype, opts["rd"])
        reply = exchange(server, payload, opts["tcp"], opts["source"], opts["timeout"])
        if reply is not None:
            rid, rcode, tags, answers = parse(reply)
            if rid != qid:
                print("BADID")
                return 1
            if opts["until"] is None or (rcode == "NOERROR" and answers) or time.monotonic() > deadline:
                print(" ".join([rcode] + tags + answers))
                return 0
        elif opts["until"] is None or time.monotonic() > deadline:
            print("TIMEOUT")
            return 1
        time.sleep(0.001)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
