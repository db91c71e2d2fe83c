#!/usr/bin/python3
"""Compares the stream analysis in `tunscope print --format json` with `tshark -T json` (one
pass, default preferences) packet by packet: tcp.stream, udp.stream, tcp.completeness, relative
tcp.seq/ack/nxtseq, tcp.len, the raw numbers, the calculated window, the times in each stream,
every tcp.analysis.* field (the flags, which tshark keeps inside its _ws.expert objects,
included) and the messages of tcp.analysis's expert notes. A field either prints and the other
does not is a difference, as is a different value.

Usage: compare_streams.py TUNSCOPE.jsonl TSHARK.json
"""
import json
import sys

from compare_json import flatten, normalise, pairs

COMPARED = ("tcp.stream", "udp.stream", "tcp.completeness", "tcp.seq", "tcp.seq_raw", "tcp.ack", "tcp.ack_raw",
            "tcp.nxtseq", "tcp.len", "tcp.window_size", "tcp.window_size_scalefactor", "tcp.time_relative",
            "tcp.time_delta", "udp.time_relative", "udp.time_delta", "tcp.options.sack_le", "tcp.options.sack_re")


def analysis_messages(layers):
    """The messages of the expert notes whose flag is a tcp.analysis.* field, in order."""
    out = []

    def walk(items):
        for key, value in items:
            if key == "_ws.expert" and isinstance(value, list) and value and isinstance(value[0], tuple):
                names = [k for k, _ in value]
                if any(n.startswith("tcp.analysis.") for n in names):
                    out.append(dict(value)["_ws.expert.message"])
            elif isinstance(value, list) and value and isinstance(value[0], tuple):
                walk(value)
    walk(layers)
    return out


def main():
    ours = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    theirs = []
    for packet in json.load(open(sys.argv[2]), object_pairs_hook=pairs):
        layers = dict(dict(packet)["_source"])["layers"]
        flat = {}
        flatten(layers, flat)
        flat["_ws.expert.message"] = analysis_messages(layers)
        theirs.append(flat)
    problems = []
    if len(ours) != len(theirs):
        problems.append(f"packet count: tunscope {len(ours)}, tshark {len(theirs)}")
    compared = 0
    for n, (a, b) in enumerate(zip(ours, theirs), start=1):
        keys = {k for k in list(a) + list(b) if k in COMPARED or k.startswith("tcp.analysis.")}
        keys.add("_ws.expert.message")
        for key in sorted(keys):
            mine = a.get(key, [])
            mine = [normalise(v) for v in (mine if isinstance(mine, list) else [mine])]
            tshark = [normalise(v) for v in b.get(key, [])]
            compared += 1
            if mine != tshark:
                problems.append(f"packet {n}: {key}: tunscope {mine} tshark {tshark}")
    for p in problems[:80]:
        print(p)
    if len(problems) > 80:
        print(f"... and {len(problems) - 80} more")
    print(f"{compared} stream values compared, {len(problems)} differences")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
