# Sourced by the flood benchmarks: builds the C flooder that holds a tun and the release
# tunscope, then makes the network namespace $ns with tun0 (192.0.2.1 peer 192.0.2.2, inside it
# only), removed when the script exits.
out=Benchmarks/out
mkdir -p "$out"
cc -O2 -o "$out/tun_hold_flood" Benchmarks/tun_hold_flood.c
swift build -c release --product tunscope >/dev/null
trap 'ip netns delete "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add name tun0 mode tun
ip -n "$ns" addr add 192.0.2.1 peer 192.0.2.2 dev tun0
ip -n "$ns" link set tun0 up
