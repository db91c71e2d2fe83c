"""A program of the verdict tests' own: holds a tun as the exercise's openTun() does and writes
SYNs the kernel drops, each for its own reason, a moment apart.

    drop_tun.py DEVICE GOFILE CASE...

Each CASE is NAME:SOURCE:DESTINATION:PORT:IPID[:BREAK[:COUNT]], BREAK one of tcpcsum, ipcsum
(or empty), COUNT copies written back to back, the IP id one more each time (a flood). An IPv6
address is written with _ for : (2001_db8__2); its SYN carries IPID as the flow label. It
prints "open" once the tun is open, waits for GOFILE to exist (the test makes it when what
watches is ready), writes the SYNs 0.2 s apart, printing "sent NAME" after each, and keeps the
tun until killed.
"""
import os, socket, struct, sys, time

from tun_program import openTun, checksum  # beside this file


def address(text):
    if "_" in text:
        return socket.inet_pton(socket.AF_INET6, text.replace("_", ":"))
    return bytes(int(x) for x in text.split("."))


def syn(source, destination, port, ipid, breakage):
    tcp = struct.pack("!HHIIBBHHH", 30732, port, 4101019787, 0, 0x60, 0x02, 65535, 0, 0) + bytes([2, 4, 5, 180])
    if len(source) == 16:
        pseudo = source + destination + struct.pack("!IxxxB", len(tcp), 6)
    else:
        pseudo = source + destination + struct.pack("!BBH", 0, 6, len(tcp))
    tcpsum = checksum(pseudo + tcp) ^ (0x0101 if breakage == "tcpcsum" else 0)
    tcp = tcp[:16] + struct.pack("!H", tcpsum) + tcp[18:]
    if len(source) == 16:
        return struct.pack("!IHBB", 0x60000000 | ipid, len(tcp), 6, 64) + source + destination + tcp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid, 0, 64, 6, 0, source, destination)
    ipsum = checksum(ip) ^ (0x0101 if breakage == "ipcsum" else 0)
    return ip[:10] + struct.pack("!H", ipsum) + ip[12:] + tcp


def main():
    fd = openTun(sys.argv[1])
    print("open", flush=True)
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.05)
    for case in sys.argv[3:]:
        name, source, destination, port, ipid, *rest = case.split(":")
        breakage = rest[0] if rest else ""
        for i in range(int(rest[1]) if len(rest) > 1 else 1):
            os.write(fd, syn(address(source), address(destination), int(port), (int(ipid) + i) & 0xFFFF, breakage))
        print("sent", name, flush=True)
        time.sleep(0.2)
    while True:
        time.sleep(1)


main()
