#!/usr/bin/python3
"""Compares the stream analysis in `tunscope print --format json` with `tshark -T json` (one
pass, default preferences) packet by packet: tcp.stream, udp.stream, tcp.completeness, relative
tcp.seq/ack/nxtseq, tcp.len, the raw numbers, the calculated window, the times in each stream,
every tcp.analysis.* field (the flags, which tshark keeps inside its _ws.expert objects,
included) and the messages of tcp.analysis's expert notes. A field either prints and the other
does not is a difference, as is a different value.

Usage: compare_streams.py TUNSCOPE.jsonl TSHARK.json
"""
import sys

from compare_json import compare, load, report

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
    def annotate(layers, flat):
        flat["_ws.expert.message"] = analysis_messages(layers)
    ours, theirs = load(sys.argv[1], sys.argv[2], annotate)
    problems = []

    def keys(a, b):
        chosen = {k for k in list(a) + list(b) if k in COMPARED or k.startswith("tcp.analysis.")}
        return sorted(chosen | {"_ws.expert.message"})
    compared = compare(ours, theirs, keys, problems)
    report(problems, f"{compared} stream values compared, {len(problems)} differences", shown=80)


if __name__ == "__main__":
    main()
