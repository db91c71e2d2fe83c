#!/usr/bin/python3
"""Compares `tunscope print --format json` (JSON Lines, flat) with `tshark -T json` for the same
capture: for every field name both print in a packet, the values must be equal.

tshark prints every value as a string ("0x0002", "1", "192.0.2.1") and nests fields in trees;
tunscope prints one flat object whose numbers are JSON numbers and whose repeated names are
arrays. Values are normalised (hex and decimal strings to integers) before comparing.

Usage: compare_json.py TUNSCOPE.jsonl TSHARK.json [--require NAME]
(exit 1 and a list of differences if any; with --require, also when a packet's NAME was not
compared, because one of the two left it out)
"""
import json
import sys


def flatten(obj, out):
    """Collects leaf fields of a tshark packet in document order, keeping duplicate names."""
    for key, value in obj:
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            flatten(value, out)
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, list):
                    flatten(v, out)
                else:
                    out.setdefault(key, []).append(v)
        else:
            out.setdefault(key, []).append(value)


def pairs(items):
    return list(items)


def normalise(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    s = str(v)
    if s in ("True", "False"):
        return int(s == "True")
    try:
        if s.lower().startswith("0x"):
            return int(s, 16)
        if s.lstrip("-").isdigit():
            return int(s)
        if s.replace(".", "", 1).isdigit() and s.count(".") == 1:
            return float(s)
    except ValueError:
        pass
    return s.lower()


def main():
    required = sys.argv[sys.argv.index("--require") + 1] if "--require" in sys.argv else None
    ours = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    # tshark can cut a label mid-character (a HINFO string), leaving bytes that are not UTF-8.
    theirs_raw = json.load(open(sys.argv[2], encoding="utf-8", errors="replace"), object_pairs_hook=pairs)
    theirs = []
    for packet in theirs_raw:
        source = dict(packet)["_source"]
        layers = dict(source)["layers"]
        flat = {}
        flatten(layers, flat)
        theirs.append(flat)
    problems = []
    if len(ours) != len(theirs):
        problems.append(f"packet count: tunscope {len(ours)}, tshark {len(theirs)}")
    compared = 0
    for n, (a, b) in enumerate(zip(ours, theirs), start=1):
        if required and not (required in a and required in b):
            problems.append(f"packet {n}: {required} not in both (tunscope: {required in a}, tshark: {required in b})")
        for key, value in a.items():
            # _ws.* are tshark's own annotations (expert info, "Malformed Packet"), not fields.
            if key not in b or key.startswith("_ws."):
                continue
            mine = [normalise(v) for v in (value if isinstance(value, list) else [value])]
            tshark = [normalise(v) for v in b[key]]
            compared += 1
            if mine != tshark:
                problems.append(f"packet {n}: {key}: tunscope {mine} tshark {tshark}")
    for p in problems[:60]:
        print(p)
    if len(problems) > 60:
        print(f"... and {len(problems) - 60} more")
    print(f"{compared} field values compared, {len(problems)} differences")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
