#!/usr/bin/python3
"""Where a step's time goes, from Chrome traces of LibTorch's autograd profiler (remix's C++ and PyTorch's Python
write the same format): self time per operator (its duration less the operators nested in it on the same thread),
summed over the trace, the largest first; with two traces, side by side.

  profile_summary.py TRACE.json [OTHER.json] [--top N]      (bench_vs_python --profile DIR writes such traces)
"""
import argparse
import json
from collections import defaultdict


def self_times(path):
    events = [e for e in json.load(open(path)) if e.get("ph") == "X"]
    totals, calls = defaultdict(float), defaultdict(int)
    by_thread = defaultdict(list)
    for e in events:
        by_thread[e.get("tid")].append(e)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # open events: [end, name, child time]
        def close(upto):
            while stack and stack[-1][0] <= upto:
                end, name, children, dur = stack.pop()
                totals[name] += dur - children
                if stack:
                    stack[-1][2] += dur
        for e in evs:
            close(e["ts"])
            calls[e["name"]] += 1
            stack.append([e["ts"] + e["dur"], e["name"], 0.0, e["dur"]])
        close(float("inf"))
    return totals, calls


def main():
    parser = argparse.ArgumentParser(description="operators' self time in autograd-profiler Chrome traces")
    parser.add_argument("traces", nargs="+", help="one trace, or several side by side")
    parser.add_argument("--top", type=int, default=25, help="operators shown (largest first)")
    a = parser.parse_args()
    args, top = a.traces, a.top
    sides = [self_times(p) for p in args]
    names = sorted(set().union(*(t for t, _ in sides)), key=lambda n: -max(t.get(n, 0) for t, _ in sides))
    print("  ".join(f"{p[-40:]:>40}" for p in args))
    print(f"{'operator':40} " + "  ".join(f"{'self ms':>9} {'calls':>6}" for _ in sides))
    for n in names[:top]:
        print(f"{n[:40]:40} " + "  ".join(f"{t.get(n, 0) / 1e3:9.2f} {c.get(n, 0):6d}" for t, c in sides))
    print(f"{'total':40} " + "  ".join(f"{sum(t.values()) / 1e3:9.2f} {sum(c.values()):6d}" for t, c in sides))


if __name__ == "__main__":
    main()
