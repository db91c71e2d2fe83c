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


def load(tunscope_path, tshark_path, annotate=None):
    """The two outputs as lists of flat packets; `annotate(layers, flat)` may add to tshark's."""
    ours = [json.loads(line) for line in open(tunscope_path) if line.strip()]
    # tshark can cut a label mid-character (a HINFO string), leaving bytes that are not UTF-8.
    theirs = []
    for packet in json.load(open(tshark_path, encoding="utf-8", errors="replace"), object_pairs_hook=pairs):
        layers = dict(dict(packet)["_source"])["layers"]
        flat = {}
        flatten(layers, flat)
        if annotate:
            annotate(layers, flat)
        theirs.append(flat)
    return ours, theirs


def compare(ours, theirs, keys, problems, limit=None):
    """Compares, packet by packet, the fields `keys(ours_packet, tshark_packet)` names (a field
    one side lacks is an empty list there); appends a line per difference; returns how many
    values were compared."""
    if len(ours) != len(theirs):
        problems.append(f"packet count: tunscope {len(ours)}, tshark {len(theirs)}")
    compared = 0
    for n, (a, b) in enumerate(zip(ours, theirs), start=1):
        for key in keys(a, b):
            mine = a.get(key, [])
            mine = [normalise(v) for v in (mine if isinstance(mine, list) else [mine])]
            tshark = [normalise(v) for v in b.get(key, [])]
            compared += 1
            if mine != tshark:
                shown = (lambda x: str(x)[:limit]) if limit else str
                problems.append(f"packet {n}: {key}: tunscope {shown(mine)} tshark {shown(tshark)}")
    return compared


def report(problems, summary, shown=60):
    """Prints the first differences and the summary; exits 1 if there were any."""
    for p in problems[:shown]:
        print(p)
    if len(problems) > shown:
        print(f"... and {len(problems) - shown} more")
    print(summary)
    sys.exit(1 if problems else 0)


def main():
    required = sys.argv[sys.argv.index("--require") + 1] if "--require" in sys.argv else None
    ours, theirs = load(sys.argv[1], sys.argv[2])
    problems = []
    if required:
        for n, (a, b) in enumerate(zip(ours, theirs), start=1):
            if not (required in a and required in b):
                problems.append(f"packet {n}: {required} not in both (tunscope: {required in a}, tshark: {required in b})")
    # _ws.* are tshark's own annotations (expert info, "Malformed Packet"), not fields.
    compared = compare(ours, theirs, lambda a, b: [k for k in a if k in b and not k.startswith("_ws.")], problems)
    report(problems, f"{compared} field values compared, {len(problems)} differences")


if __name__ == "__main__":
    main()
