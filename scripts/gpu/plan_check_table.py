"""The table of scripts/gpu-plan-check.sh: per run, the planned device and host peaks (from `train --plan`) next to the
measured ones (max over the 0.2 s samples: nvidia-smi's used memory; the host's MemTotal - MemAvailable above the level
before the run), with the error (plan - measured) / measured.
Usage: python3 plan_check_table.py OUT_DIR   (reads runs.txt, NAME.plan.txt, NAME.plan_exit, NAME.mem, NAME.host_base_kib)"""
import os
import re
import subprocess
import sys

UNITS = {"kB": 1e3, "MB": 1e6, "GB": 1e9}
FITTED = {"7b-1x4096-offload", "1.1b-1x4096-offload"}   # the shapes the offload slack was fitted on (docs/memory-plan.md)


def planned(text, label):
    m = re.search(r"^" + label + r": ([0-9.]+) (kB|MB|GB)", text, re.M)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def measured(o, name):
    """(peak GPU bytes, peak host bytes above the level before the run), None where there are no samples."""
    path = os.path.join(o, name + ".mem")
    if not os.path.exists(path):
        return None, None
    gpu, host = [], []
    for line in open(path):
        f = line.split()
        if len(f) == 2 and f[0].isdigit() and f[1].lstrip("-").isdigit():
            gpu.append(int(f[0]))
            host.append(int(f[1]))
    if not gpu:
        return None, None
    base = int(open(os.path.join(o, name + ".host_base_kib")).read().split()[0])
    return max(gpu) * 2**20, (max(host) - base) * 1024


def cell(plan, meas):
    if plan is None:
        return f"{'?':>9s} {'':>9s} {'':>7s}"
    if meas is None:
        return f"{plan / 1e9:7.2f}GB {'not run':>9s} {'':>7s}"
    return f"{plan / 1e9:7.2f}GB {meas / 1e9:7.2f}GB {100 * (plan - meas) / meas:+6.1f}%"


def main(o):
    try:
        gpu = subprocess.run(["nvidia-smi", "-i", "0", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip() or "GPU ?"
    except OSError:
        gpu = "GPU ? (no nvidia-smi)"
    print(f"memory plan vs measured on {gpu} (GB = 1e9 bytes; error = (plan - measured) / measured)")
    print(f"{'shape':26s} {'plan':>4s} | {'plan GPU':>9s} {'measured':>9s} {'error':>7s} | {'plan host':>9s} {'measured':>9s} {'error':>7s}")
    runs = [line.split() for line in open(os.path.join(o, "runs.txt")) if line.strip()]
    for name, *_ in runs:
        try:
            text = open(os.path.join(o, name + ".plan.txt")).read()
            code = open(os.path.join(o, name + ".plan_exit")).read().strip()
            g, h = measured(o, name)
            label = name + (" *" if name in FITTED else "")
            if os.path.exists(os.path.join(o, name + ".timeout")):
                label += " (timeout)"
            print(f"{label:26s} {'fits' if code == '0' else 'no':>4s} | {cell(planned(text, 'device peak'), g)} | "
                  f"{cell(planned(text, 'host peak'), h)}")
        except (OSError, ValueError) as e:
            print(f"{name:26s} no result ({e})")
    print("* a fit point of the offload allocator slack (docs/memory-plan.md): not an independent check")
    print("shapes: tiny-llama; 1.1B hidden 2048/5632, 22 layers, 32/4 heads; 7B hidden 4096/11008, 32 layers; vocab 32000;"
          " fp16-mixed, SDPA, ReLU + L1, one evaluation window; runs.txt: name batch seq grad_accum recompute offload")


if __name__ == "__main__":
    main(sys.argv[1])
