#!/usr/bin/env bash
# The several-GPU run (docs/distributed.md), ON a machine with N GPUs, from the project root; prepared, NOT yet run:
#   mvn -q package -DskipTests && bash ../shared/gpu/stage.sh && bash scripts/gpu-dist-check.sh --stage   # here
#   PROSPARSE_KIT=.carry/gpu MGPU_PARTS="equal scale peer fault" bash scripts/multi-gpu-check.sh             # there
# Each part fits one 10-minute device call (MGPU_PARTS picks them; the glue is built once per machine start).
#  equal: tiny-llama (fp32) and the 1.1B shape (fp16-mixed), 20 steps on N GPUs against 1 GPU with the same global
#         batch: largest loss difference, final sparsity of both
#  scale: tokens/s per GPU on 1, 2, 4 … N GPUs at the 1.1B and 7B shapes (batch 1 x 4096, activation checkpointing,
#         fp16-mixed, ZeRO-1), scaling efficiency, peak memory per GPU (gpu_memory_peak_bytes of rank 0)
#  peer:  PyTorch DDP and FSDP (torchrun + transformers, fp16 autocast, AdamW) on the same shapes and batch
#  fault: kill -9 of one rank mid-run: the others stop within the collective timeout naming it; the last save is intact;
#         resume at the same world size, then at N/2
# NCCL multicast (NVLS) stays off on the lent machines. Results: $OUT/multi-gpu-summary.txt and the logs.
source "$(dirname "${BASH_SOURCE[0]}")/gpu/env.sh"
set +e
export NCCL_NVLS_ENABLE=0 PROSPARSE_DIST_TIMEOUT=60
O="${OUT:-multi-gpu-out}"; mkdir -p "$O"; SUM="$O/multi-gpu-summary.txt"; : >> "$SUM"
R="${TMPDIR:-/tmp}/multi-gpu-runs"; mkdir -p "$R"
PARTS=" ${MGPU_PARTS:-equal scale peer fault} "; part() { [[ "$PARTS" == *" $1 "* ]]; }
say() { echo "$*" | tee -a "$SUM"; }
N=$(nvidia-smi -L | wc -l)
say "== $(date -u +%F) $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1) x $N"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -f "$W/glue/libprosparse_c10d.so" ]] || JNI_INCLUDE="$KIT/jni" bash "$HERE/build-c10d-glue.sh" "$W/glue" > "$O/glue-build.log" 2>&1
export PROSPARSE_C10D_GLUE="$W/glue/libprosparse_c10d.so"
cat > "$R/rank.sh" <<RANK
#!/usr/bin/env bash
exec "$W/jre/bin/java" -Xmx48g \${RANK_JAVA_OPTS:-} -Dprosparse.home="$PWD" -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch \
  -Djna.library.path="$CUDART" -cp "$KIT/app/prosparse.jar:$KIT/app/lib/*:$W/res" dev.prosparse.cli.Main "\$@"
RANK
chmod +x "$R/rank.sh"
M11="$R/tinyllama-1.1b"; [[ -f "$M11/config.json" ]] || python3 "$HERE/gpu/write_llama.py" "$M11" checkpoints/tiny-llama 1.1b > /dev/null
M7="$R/llama2-7b-shape"; [[ -f "$M7/config.json" ]] || python3 "$HERE/synthetic-checkpoint.py" "$M7" --preset llama2-7b > /dev/null
launch() { # launch NGPU NAME ARGS... : torchrun with NGPU ranks (NGPU=0: plain single process)
  local n="$1" name="$2"; shift 2
  if [[ "$n" == 0 ]]; then "$R/rank.sh" train "$@" --set output_dir="$R/runs" --run-name "$name" > "$O/$name.log" 2>&1
  else torchrun --standalone --no-python --nproc-per-node="$n" "$R/rank.sh" train "$@" --set output_dir="$R/runs" \
    --run-name "$name" > "$O/$name.log" 2>&1; fi; }
curve() { python3 - "$@" <<'PY'
import json, sys
def c(d): return {m["step"]: m["lm_loss"] for m in map(json.loads, open(d + "/metrics.jsonl")) if m["type"] == "train"}
def z(d): return [m for m in map(json.loads, open(d + "/metrics.jsonl")) if m["type"] == "eval"][-1]["zero_fraction"]
a, b = c(sys.argv[1]), c(sys.argv[2])
print(f"largest |loss difference| {max(abs(a[s] - b[s]) for s in a):.3g} over {len(a)} steps; sparsity {100*z(sys.argv[1]):.2f}% vs {100*z(sys.argv[2]):.2f}%")
PY
}
rate() { python3 - "$1" <<'PY'
import json, sys
ms = [m for m in map(json.loads, open(sys.argv[1] + "/metrics.jsonl")) if m["type"] == "train"]
late = ms[len(ms) // 2:]
print(f'{sum(m["tokens_per_s"] for m in late) / len(late):.0f} {max(m.get("gpu_memory_peak_bytes", 0) for m in ms) / 2**30:.1f}')
PY
}
SHORT='stages=[{name: swap, steps: 10, l1_lambda: 0.0, ramp: constant}, {name: l1, steps: 10, l1_lambda: 1.0, ramp: constant}]'
if part equal; then
  say "== equality: N=$N GPUs against 1 GPU, same global batch (batch 4 x grad_accum N on 1 GPU)"
  for m in "checkpoints/tiny-llama fp32 256" "$M11 fp16-mixed 1024"; do
    set -- $m
    A=(--set model="$1" --precision "$2" --device cuda --set seq_len="$3" --set batch_size=4 --set eval.windows=8 --set "$SHORT" --set save.every=0)
    launch 0 "eq1-$(basename "$1")" "${A[@]}" --set grad_accum="$N"
    launch "$N" "eqN-$(basename "$1")" "${A[@]}" --set grad_accum=1
    say "$(basename "$1") $2: $(curve "$R/runs/eq1-$(basename "$1")" "$R/runs/eqN-$(basename "$1")")"
  done
fi
if part scale; then
  say "== scaling: batch 1 x 4096 per GPU, activation checkpointing, fp16-mixed; tokens/s per GPU, peak GiB per GPU"
  for m in "$M11" "$M7"; do
    for n in 1 2 4 8; do
      (( n > N )) && break
      launch "$n" "sc$n-$(basename "$m")" --set model="$m" --precision fp16-mixed --device cuda --set seq_len=4096 \
        --set batch_size=1 --set grad_accum=1 --set activation_checkpointing=true --set eval.windows=1 \
        --set 'stages=[{name: s, steps: 12, l1_lambda: 0.0, ramp: constant}]' --set save.every=0 --set log_every=1
      read -r tps gib <<< "$(rate "$R/runs/sc$n-$(basename "$m")")"
      [[ $n == 1 ]] && base=$tps
      say "$(basename "$m") N=$n: $(( tps / n )) tokens/s per GPU, efficiency $(python3 -c "print(f'{$tps / ($n * $base):.2f}')"), peak ${gib} GiB"
    done
  done
fi
if part peer; then
  say "== peer: PyTorch DDP / FSDP (torchrun, transformers, fp16 autocast, AdamW), batch 1 x 4096 per GPU"
  cat > "$R/peer.py" <<'PY'
import os, sys, time, torch, torch.distributed as dist
from transformers import AutoModelForCausalLM
mode, path = sys.argv[1], sys.argv[2]
dist.init_process_group("nccl"); r = dist.get_rank(); torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
m = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32, attn_implementation="sdpa").cuda()
m.gradient_checkpointing_enable()
if mode == "ddp":
    m = torch.nn.parallel.DistributedDataParallel(m)
else:
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    m = FSDP(m, use_orig_params=True)
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True); scaler = torch.amp.GradScaler()
ids = torch.randint(0, 4000, (1, 4097), device="cuda")
for i in range(12):
    if i == 4: torch.cuda.synchronize(); t0 = time.time()
    with torch.autocast("cuda", dtype=torch.float16):
        loss = m(input_ids=ids[:, :-1], labels=ids[:, 1:]).loss
    scaler.scale(loss).backward(); scaler.step(opt); scaler.update(); opt.zero_grad(set_to_none=True)
torch.cuda.synchronize()
if r == 0: print(f"{mode} {8 * 4096 / (time.time() - t0):.0f} tokens/s per GPU, peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
dist.destroy_process_group()
PY
  for m in "$M11" "$M7"; do for mode in ddp fsdp; do
    say "$(basename "$m") N=$N $(torchrun --standalone --nproc-per-node="$N" "$R/peer.py" "$mode" "$m" 2> "$O/peer-$mode-$(basename "$m").log" | tail -1)"
  done; done
fi
if part fault; then
  say "== fault: kill -9 of rank 1 mid-run (ranks by hand, timeout $PROSPARSE_DIST_TIMEOUT s)"
  F=(--set model=checkpoints/tiny-llama --device cuda --set 'stages=[{name: s, steps: 400, l1_lambda: 0.0, ramp: constant}]'
     --set save.every=5 --set eval.windows=4 --set output_dir="$R/runs" --run-name fault)
  for r in $(seq 0 $((N - 1))); do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=$N LOCAL_WORLD_SIZE=$N MASTER_ADDR=127.0.0.1 MASTER_PORT=29633 "$R/rank.sh" train "${F[@]}" \
      > "$O/fault-$r.log" 2>&1 & P[$r]=$!
  done
  for _ in $(seq 600); do [[ -d "$R/runs/fault/step-000010" ]] && break; sleep 0.5; done
  kill -9 "${P[1]}"; TK=$(date +%s); wait "${P[0]}"
  say "rank 0 stopped $(( $(date +%s) - TK )) s after the kill: $(grep -v ' INFO ' "$O/fault-0.log" | tail -1 | cut -c1-300)"
  for r in $(seq 2 $((N - 1))); do wait "${P[$r]}"; done
  say "last save: $(ls -d "$R"/runs/fault/step-* | tail -1 | xargs basename) ($(ls "$(ls -d "$R"/runs/fault/step-* | tail -1)" | grep -c optimizer-shard) shards)"
  RANK_JAVA_OPTS=-Dprosparse.stopAfterStep=20 torchrun --standalone --no-python --nproc-per-node="$N" "$R/rank.sh" train \
    --resume "$R/runs/fault" --device cuda > "$O/fault-resume-N.log" 2>&1
  say "resume on $N GPUs: $(grep -v ' INFO ' "$O/fault-resume-N.log" | tail -1 | cut -c1-200)"
  RANK_JAVA_OPTS=-Dprosparse.stopAfterStep=30 torchrun --standalone --no-python --nproc-per-node=$((N / 2)) "$R/rank.sh" train \
    --resume "$R/runs/fault" --device cuda > "$O/fault-resume-half.log" 2>&1
  say "resume on $((N / 2)) GPUs: $(grep -o 're-sharded[^;]*' "$O/fault-resume-half.log" | head -1)"
fi
