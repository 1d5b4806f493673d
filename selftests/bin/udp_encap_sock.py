#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""UDP sockets for the ESP-in-UDP tests.

  udp_encap_sock.py xfrm PORT [FAMILY]   Linux XFRM's side: a socket on PORT with
                                         UDP_ENCAP_ESPINUDP (what an IKE daemon
                                         sets), kept open until killed.
  udp_encap_sock.py daemon PORT OUT      an IKE daemon's socket on PORT handed to
                                         kipsec with `kipsec encap attach fd N`;
                                         every datagram it still receives is
                                         written to OUT as "SRC PORT HEX" lines.
Both print "ready" on stdout once set up.
"""
import socket, subprocess, sys

SOL_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP = 17, 100, 2


def bound(port, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    return s


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "xfrm":
        fam = socket.AF_INET6 if sys.argv[3:] == ["6"] else socket.AF_INET
        s = bound(port, fam)
        s.setsockopt(SOL_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
        print("ready", flush=True)
        while True:
            s.recv(65536)  # nothing but IKE would arrive here
    s = bound(port)
    fd = s.fileno()
    r = subprocess.run(["kipsec", "encap", "attach", "fd", str(fd)], pass_fds=(fd,))
    if r.returncode:
        sys.exit("attach failed")
    print("ready", flush=True)
    with open(sys.argv[3], "a") as out:
        while True:
            data, src = s.recvfrom(65536)
            out.write("%s %d %s\n" % (src[0], src[1], data.hex()))
            out.flush()


main()
