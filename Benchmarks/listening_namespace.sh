# Sourced by the benchmarks that need the kernel as a TCP server behind a tun: makes namespace
# $ns with tun0 (192.0.2.1 peer 192.0.2.2, as in the exercise) and a socket listening on
# 192.0.2.1:8080, and removes both (and every process in $pids) when the script exits.
ns="tunscope-bench-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns delete "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add name tun0 mode tun
ip -n "$ns" addr add 192.0.2.1 peer 192.0.2.2 dev tun0
ip -n "$ns" link set tun0 up
# A listening socket is all the kernel needs to answer SYNs.
ip netns exec "$ns" /usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.bind(('192.0.2.1', 8080)); s.listen(4096); time.sleep(600)" &
pids+=($!)
