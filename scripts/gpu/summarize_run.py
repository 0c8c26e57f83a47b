"""Summaries for scripts/gpu-7b.sh. Usage:
  python3 summarize_run.py OUT NAME      one run: prosparse (NAME.metrics.jsonl + NAME.log) or PyTorch (NAME.json),
                                         with NAME.mem ("gpu_mib host_kib" samples) and NAME.host_base_kib
  python3 summarize_run.py OUT --compare the ratios against the targets, from the OUT/*.summary.json files
tokens/s: steady steps (prosparse: from step 2 on; PyTorch: after its warm-up). MFU: (6·N + 12·L·E·S) FLOPs per token
(recompute not counted, no causal discount) against 989 TFLOP/s (H100 SXM and H200 dense FP16)."""
import glob, json, os, re, sys

PEAK = 989e12
o = sys.argv[1]

def model_flops(model_dir, seq):
    c = json.load(open(os.path.join(model_dir, "config.json")))
    E, I, L, V = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    H, KV = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
    D = E // H
    n = 2 * V * E + E + L * (2 * E + E * E * 2 + 2 * E * KV * D + 3 * E * I)
    return n, 6 * n + 12 * L * E * seq

def memory(name):
    try:
        rows = [l.split() for l in open(f"{o}/{name}.mem") if len(l.split()) == 2]
        base = int(open(f"{o}/{name}.host_base_kib").read())
        return max(int(r[0]) for r in rows) / 1024, max(int(r[1]) - base for r in rows) / 1048576
    except Exception:
        return None, None

def one(name):
    gpu, host = memory(name)
    s = {"name": name, "peak_gpu_gib": gpu, "peak_host_gib": host}
    if os.path.exists(f"{o}/{name}.metrics.jsonl"):
        tr = [l for l in map(json.loads, open(f"{o}/{name}.metrics.jsonl")) if l.get("type") == "train"]
        log = open(f"{o}/{name}.log", errors="replace").read()
        m = re.search(r"--set model=(\S+)", " ".join(sys.argv)) or re.search(r"Starting from (\S+):", log)
        if not tr:
            s["error"] = "no training step logged"
        else:
            tok = tr[0]["tokens"]
            secs = {l["step"]: l["step"] * tok / l["tokens_per_s"] for l in tr}
            first = 1 if len(tr) > 1 else 0
            last = tr[-1]["step"]
            s["tokens_per_step"] = tok
            s["steps"] = last
            dt = secs[last] - secs.get(first, 0)
            s["tokens_per_s"] = (last - first) * tok / dt if last > first and dt > 0 else tok * last / secs[last]
            s["skipped_steps"] = tr[-1].get("skipped_steps")
        st = re.search(r"training state: ([0-9.]+) bytes/parameter \(([^)]*)\)[^\n]*", log)
        if st:
            s["state"] = st.group(0).split("training state: ")[1]
        phases = {}
        for line in re.findall(r"phases, ms/step over steps (\d+)-\d+: ([^\n]+)", log):
            if int(line[0]) < 2:
                continue   # step 1 warms up (allocator, module compilation)
            for k, v in re.findall(r"([a-z+ ]+?) ([0-9.]+) \|?", line[1]):
                phases.setdefault(k.strip(), []).append(float(v))
        s["phases_ms"] = {k: sum(v) / len(v) for k, v in phases.items()}
        if m and "tokens_per_s" in s:
            n, f = model_flops(m.group(1).rstrip(":"), 4096)
            s["parameters"] = n
            s["mfu"] = s["tokens_per_s"] * f / PEAK
            fb = s["phases_ms"].get("forward", 0) + s["phases_ms"].get("backward", 0)
            if fb > 0:
                s["compute_only_tokens_per_s"] = tok / (fb / 1000)
    elif os.path.exists(f"{o}/{name}.json"):
        lines = open(f"{o}/{name}.json").read().strip().splitlines()
        d = json.loads(lines[-1]) if lines else {"error": "no output"}
        s.update({k: d.get(k) for k in ("tokens_per_s", "oom", "error", "max_allocated_gib")})
    json.dump(s, open(f"{o}/{name}.summary.json", "w"))
    out = [f"  {name}:"]
    if s.get("oom"):
        out.append(f"OUT OF MEMORY ({s.get('error')}; {s.get('max_allocated_gib', 0):.1f} GiB allocated): the peer does not fit")
    elif s.get("tokens_per_s"):
        out.append(f"{s['tokens_per_s']:,.0f} tokens/s")
        if s.get("mfu"):
            out.append(f"MFU {100 * s['mfu']:.1f}%")
        if s.get("compute_only_tokens_per_s"):
            out.append(f"compute-only {s['compute_only_tokens_per_s']:,.0f} tokens/s")
    else:
        out.append(f"no result ({s.get('error', 'see the log')})")
    if gpu is not None:
        out.append(f"peak GPU {gpu:.1f} GiB, peak host +{host:.1f} GiB")
    print(", ".join(out[1:]).join([out[0] + " ", ""]))
    if s.get("state"):
        print(f"    {s['state']}")
    if s.get("phases_ms"):
        print("    phases ms/step (steps >= 2): " + " | ".join(f"{k} {v:.0f}" for k, v in s["phases_ms"].items()))

def compare():
    r = {os.path.basename(p)[:-13]: json.load(open(p)) for p in glob.glob(f"{o}/*.summary.json")}
    def ratio(a, b, what):
        if a in r and b in r and r[a].get("tokens_per_s") and r[b].get("tokens_per_s"):
            sp = r[a]["tokens_per_s"] / r[b]["tokens_per_s"]
            mem = (r[a]["peak_gpu_gib"] or 0) / max(r[b]["peak_gpu_gib"] or 1, 1e-9)
            print(f"{what}: speed {sp:.2f}x the peer (target >= 0.9x), peak GPU memory {mem:.2f}x (target <= 1.1x)")
        elif b in r and r[b].get("oom"):
            print(f"{what}: the PyTorch peer does not fit (out of memory); prosparse " + (
                f"trains at {r[a]['tokens_per_s']:,.0f} tokens/s" if a in r and r[a].get("tokens_per_s") else "has no result"))
    ratio("p7b-h200", "pt7b-h200", "7B on the H200 without offload")
    ratio("p3b-h100", "pt3b-h100", "3.4B on the H100 without offload")
    g = r.get("p7b-offload-ga16")
    if g and g.get("tokens_per_s") and g.get("compute_only_tokens_per_s"):
        print(f"7B with offload, grad_accum 16: {g['tokens_per_s']:,.0f} tokens/s = {100 * g['tokens_per_s'] / g['compute_only_tokens_per_s']:.0f}%"
              f" of its compute-only rate {g['compute_only_tokens_per_s']:,.0f} (target >= 70%)")

if sys.argv[2] == "--compare":
    compare()
else:
    one(sys.argv[2])
