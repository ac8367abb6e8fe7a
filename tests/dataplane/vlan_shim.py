"""A VLAN sub-interface in user space, for kernels without 802.1Q links (the test machines have
neither `ip link ... type vlan` nor bridge VLAN filtering): a tap device `SUB` carries the
untagged traffic of VLAN `VID` on the trunk interface `TRUNK`. Frames the kernel sends out of
`SUB` leave `TRUNK` tagged; tagged frames arriving on `TRUNK` (the kernel strips the tag before
packet sockets see it and hands it over as auxiliary data) come out of `SUB` untagged.

Run inside the instance's namespace: python3 vlan_shim.py TRUNK SUB VID. Prints "ready" once the
tap exists; the caller then gives it the sub-port's MAC and address.
"""

import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
PACKET_OUTGOING = 4


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    trunk, sub, vid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tap = open_tap(sub)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    raw.bind((trunk, ETH_P_ALL))
    tag = struct.pack("!HH", 0x8100, vid)
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([tap, raw], [], [])
        if tap in ready:
            frame = os.read(tap, 65536)
            # dst MAC, src MAC, then the 802.1Q header before the original ethertype.
            raw.send(frame[:12] + tag + frame[12:])
        if raw in ready:
            frame, ancillary, _, address = raw.recvmsg(65536, socket.CMSG_SPACE(20))
            if address[2] == PACKET_OUTGOING:
                continue
            tci = None
            for level, kind, data in ancillary:
                if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= 20:
                    status, _, _, _, _, vlan_tci, _ = struct.unpack("IIIHHHH", data[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        tci = vlan_tci
            if tci is None and frame[12:14] == b"\x81\x00":
                # A tag the kernel left in the frame.
                tci = struct.unpack("!H", frame[14:16])[0]
                frame = frame[:12] + frame[16:]
            if tci is not None and tci & 0x0FFF == vid:
                os.write(tap, frame)


if __name__ == "__main__":
    main()
