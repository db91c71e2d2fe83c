"""The exercise's own program, as a user writes it: open a tun as openTun() does, write a
hand-made TCP SYN into it, and print every packet read back (one hex line each) until killed.

    exercise_tun.py DEVICE DESTINATION PORT [DELAY]

The SYN is the exercise's reference SYN (192.0.2.2:30732, seq 4101019787, win 65535, MSS 1460)
sent to DESTINATION:PORT (an address of the test's own namespace) DELAY seconds after the tun
is open. It never sends the ACK, so the kernel retransmits its SYN-ACK."""
import os, select, struct, sys, time

from tun_program import openTun, checksum  # beside this file


def syn(source, destination, port):
    tcp = struct.pack("!HHIIBBHHH", 30732, port, 4101019787, 0, 0x60, 0x02, 65535, 0, 0) + bytes([2, 4, 5, 180])
    pseudo = source + destination + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, source, destination)
    return ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:] + tcp


def main():
    device, destination, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    delay = float(sys.argv[4]) if len(sys.argv) > 4 else 0.5
    fd = openTun(device)
    print("open", flush=True)
    time.sleep(delay)
    os.write(fd, syn(bytes([192, 0, 2, 2]), bytes(int(x) for x in destination.split(".")), port))
    print("sent", flush=True)
    while True:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            print("read", os.read(fd, 65536).hex(), flush=True)


main()
