#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Forged IKEv2 mediation connectivity checks (me_kiked_badinput.sh).

me_forge.py send SRC SPORT DST DPORT MSGID NOTIFY...
    One unencrypted INFORMATIONAL request with zero SPIs (a connectivity
    check) from SRC:SPORT (any address: raw socket, IP_HDRINCL) to
    DST:DPORT, with the non-ESP marker when DPORT is 4500.  NOTIFY is
    TYPE:HEX (the notification data), or TYPE:HEX:LEN to put LEN in the
    payload's length field instead of the real one (a truncated chain).
me_forge.py cids PCAP
    The connect IDs (ME_CONNECTID data, hex) of the checks in PCAP
    (Ethernet, UDP port 4500 with the non-ESP marker), one per line.
"""
import socket
import struct
import sys

ME_CONNECTID = 40965


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def check(msgid, notifies):
    body = b""
    for i, n in enumerate(notifies):
        f = n.split(":")
        data = bytes.fromhex(f[1])
        length = int(f[2]) if len(f) > 2 else 8 + len(data)
        nxt = 41 if i + 1 < len(notifies) else 0
        body += struct.pack("!BBHBBH", nxt, 0, length, 0, 0, int(f[0])) + data
    # SPIs 0, next payload Notify, version 2.0, INFORMATIONAL, Initiator.
    return bytes(16) + struct.pack("!BBBBII", 41, 0x20, 37, 0x08, msgid, 28 + len(body)) + body


def send(src, sport, dst, dport, msgid, notifies):
    sport, dport = int(sport), int(dport)
    payload = check(int(msgid), notifies)
    if dport == 4500:
        payload = bytes(4) + payload
    ulen = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip + udp, (dst, 0))


def cids(path):
    seen = []
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 14 + 20 or pkt[12:14] != b"\x08\x00" or pkt[23] != 17:
            continue
        udp = 14 + (pkt[14] & 15) * 4
        ike = pkt[udp + 8:]
        if pkt[udp + 2:udp + 4] != b"\x11\x94" or ike[:4] != bytes(4):
            continue
        ike = ike[4:]
        if len(ike) < 28 or ike[:16] != bytes(16) or ike[18] != 37:
            continue
        nxt, p = ike[16], 28
        while nxt and p + 4 <= len(ike):
            length = struct.unpack("!H", ike[p + 2:p + 4])[0]
            if length < 4:
                break
            if nxt == 41 and length >= 8 and struct.unpack("!H", ike[p + 6:p + 8])[0] == ME_CONNECTID:
                cid = ike[p + 8 + ike[p + 5]:p + length].hex()
                if cid not in seen:
                    seen.append(cid)
            nxt, p = ike[p], p + length
    print("\n".join(seen))


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(*sys.argv[2:7], sys.argv[7:])
    else:
        cids(sys.argv[2])
