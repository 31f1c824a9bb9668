"""Where a tessera program's convolution time goes, from oneDNN's own timing of every primitive.

Run the program with ONEDNN_VERBOSE=1 (oneDNN then prints one line per primitive execution, with
its implementation, shapes and milliseconds) and give this script the output:

    ONEDNN_VERBOSE=1 build/benchmarks/bench_train --benchmark_filter=dcgan_train/tessera \
        --benchmark_min_time=1 > /tmp/verbose.txt
    /usr/bin/python3 benchmarks/onednn_profile.py /tmp/verbose.txt --peak 230

It prints one row per convolution (each distinct problem: batch, channels, sizes, kernel, stride,
padding) and direction (forward, backward data, backward weights): calls, milliseconds per call,
GFLOP/s (a multiply-add counts 2: 2 mb oc oh ow ic kh kw for a convolution, 2 mb ic ih iw oc kh kw
for a deconvolution, the same for each direction) and, with --peak, the share of that peak; then
the reorders (layout conversions into and out of oneDNN's blocked layouts) by tensor, and the total
of each kind. Everything the program ran is counted, warm-up and checks included, so read the
shares and the per-call times, not the totals. Time outside oneDNN (tessera's own layers: batch
norm, activations, pooling, losses, the optimizer) does not appear; the program's own time per
iteration minus oneDNN's per iteration is that part.
"""

import argparse
import collections
import re
import sys


def flops(kind, problem):
    """2 x the multiply-adds of one execution, from oneDNN's problem string."""
    d = {k: int(v) for k, v in re.findall(r"([a-z]+)(\d+)", problem)}
    ih, iw = d.get("ih", 1), d.get("iw", 1)
    oh, ow = d.get("oh", 1), d.get("ow", 1)
    kh, kw = d.get("kh", 1), d.get("kw", 1)
    if kind == "deconvolution":
        return 2.0 * d["mb"] * d["ic"] * ih * iw * d["oc"] * kh * kw
    return 2.0 * d["mb"] * d["oc"] * oh * ow * d["ic"] * kh * kw


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", help="the program's output with ONEDNN_VERBOSE=1 ('-': standard input)")
    parser.add_argument("--peak", type=float, default=0, help="the machine's FMA peak in GFLOP/s, for the %% column")
    args = parser.parse_args()
    if args.peak < 0:
        parser.error("--peak must be >= 0")
    lines = sys.stdin if args.log == "-" else open(args.log, encoding="utf-8", errors="replace")

    convs = collections.defaultdict(lambda: [0, 0.0])  # (kind, problem, direction) -> calls, ms
    reorders = collections.defaultdict(lambda: [0, 0.0])  # dims -> calls, ms
    totals = collections.defaultdict(float)
    for line in lines:
        if not line.startswith(("onednn_verbose,exec,", "dnnl_verbose,exec,")):
            continue
        p = line.rstrip("\n").split(",")
        # onednn_verbose,exec,cpu,<primitive>,<implementation>,<prop_kind>,<memory>,<attr>,<aux>,<problem>,<ms>
        if len(p) < 11:
            continue
        kind, direction, problem, ms = p[3], p[5], p[-2], float(p[-1])
        totals[kind] += ms
        if kind in ("convolution", "deconvolution"):
            convs[(kind, problem, direction)][0] += 1
            convs[(kind, problem, direction)][1] += ms
        elif kind == "reorder":
            reorders[problem][0] += 1
            reorders[problem][1] += ms
    if not totals:
        sys.exit(f"{args.log}: no ONEDNN_VERBOSE exec lines (run the program with ONEDNN_VERBOSE=1)")

    everything = sum(totals.values())
    print(f"{'direction':<17} {'calls':>6} {'ms/call':>9} {'GFLOP/s':>8} {'% peak':>7} {'% time':>7}  problem")
    for (kind, problem, direction), (calls, ms) in sorted(convs.items(), key=lambda kv: -kv[1][1]):
        per_call = ms / calls
        rate = flops(kind, problem) / (per_call * 1e-3) / 1e9 if per_call > 0 else 0.0
        share = f"{rate / args.peak * 100:6.1f}%" if args.peak else "      -"
        label = ("deconv " if kind == "deconvolution" else "") + direction.replace("_training", "")
        print(f"{label:<17} {calls:>6} {per_call:>9.3f} {rate:>8.1f} {share:>7} {ms / everything * 100:6.1f}%  {problem}")
    print(f"\n{'reorder':<17} {'calls':>6} {'ms/call':>9} {'':>8} {'':>7} {'% time':>7}  tensor")
    for dims, (calls, ms) in sorted(reorders.items(), key=lambda kv: -kv[1][1]):
        print(f"{'':<17} {calls:>6} {ms / calls:>9.3f} {'':>8} {'':>7} {ms / everything * 100:6.1f}%  {dims}")
    print("\ntotal by primitive: " + ", ".join(
        f"{kind} {ms:.1f} ms ({ms / everything * 100:.1f}%)" for kind, ms in sorted(totals.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
