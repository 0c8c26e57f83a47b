#!/usr/bin/env bash
# Checks our GGUF exports in the real engine (PowerInfer, a llama.cpp fork; checked at commit d3ebd7c):
#   1. dense: a SiLU checkpoint exported without predictors generates the same greedy ids in PowerInfer as in our forward;
#      1b. the same tokenization in the engine with LLaMA-2's normalizer-form tokenizer.json and with a tokenizer.model;
#   2. sparse: a ReLU checkpoint + predictors exported as a PowerInfer GGUF (FFN padded to 1024) against our forward
#      under the same masks (same F16 weights, the engine's F16 rounding of the predictor's inputs; decisions within
#      rounding distance of the threshold counted): argmax >= 99 %, <= 5 % of positions off by >= 0.1, mean |d| < 0.02;
#      2b. the same export with every neuron computed (no mask can differ): max |d logit| < 0.1, argmax >= 99 %;
#   3. negative control: the same export with fc2 negated (other masks) must NOT match.
# usage: scripts/check-powerinfer.sh POWERINFER_SOURCE_DIR RELU_CHECKPOINT [PREDICTORS_DIR] [SILU_CHECKPOINT]
#   PREDICTORS_DIR defaults to RELU_CHECKPOINT/predictors (prosparse predictors train), SILU_CHECKPOINT to checkpoints/tiny-llama.
# Builds PowerInfer CPU-only in POWERINFER_SOURCE_DIR/build if needed; runs the engine with 1 thread. Exit 0 iff all pass.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
src="$(cd "$1" && pwd)"
relu="$2"
preds="${3:-$relu/predictors}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
silu="${4:-$here/checkpoints/tiny-llama}"
work="$(mktemp -d -t check-powerinfer.XXXXXX)"
jar="$here/target/prosparse.jar"
[ -f "$jar" ] || { echo "error: build first: mvn -q package -DskipTests" >&2; exit 2; }
ref() { java -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch -cp "$jar" dev.prosparse.gguf.EngineReference "$@"; }

echo "== PowerInfer at $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo "$src (not a git checkout)")"
if [ ! -f "$src/build/libllama.a" ]; then
  cmake -S "$src" -B "$src/build" -DLLAMA_CUBLAS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$src/build" -j2 --target main llama >/dev/null
fi
ggml_lib="$(ls "$src"/build/libggml_static.a "$src"/build/libggml.a 2>/dev/null | head -1 || true)"
g++ -O2 -std=c++11 -I"$src" "$here/scripts/powerinfer/logits_dump.cpp" "$src/build/libllama.a" $ggml_lib -lpthread -lm \
  -o "$work/logits_dump"
echo "== work folder $work"
fail=0

echo "== 1. dense SiLU export: greedy ids, PowerInfer vs ours ($silu)"
"$here/prosparse" export gguf --model "$silu" --f32 --out "$work/dense.gguf"
prompt="The history of the city begins in the early years of the century, when"
ours_tok="$(ref tokenize "$silu" "$prompt" 2>/dev/null)"
eng_tok="$("$work/logits_dump" tokenize "$work/dense.gguf" "$prompt" 2>/dev/null)"
echo "tokens ours:   $ours_tok"
echo "tokens engine: $eng_tok"
[ "$ours_tok" = "$eng_tok" ] && echo "tokenization: SAME" || { echo "tokenization: DIFFERENT"; fail=1; }
ours_gen="$(ref greedy "$silu" 24 $ours_tok 2>/dev/null)"
eng_gen="$("$work/logits_dump" greedy "$work/dense.gguf" 24 $ours_tok 2>/dev/null)"
echo "greedy ours:   $ours_gen"
echo "greedy engine: $eng_gen"
[ "$ours_gen" = "$eng_gen" ] && echo "greedy text: SAME" || { echo "greedy text: DIFFERENT"; fail=1; }

echo "== 1b. the other SentencePiece tokenizer files: LLaMA-2's normalizer-form tokenizer.json, and tokenizer.model"
for form in normalizer model; do
  d="$work/silu-$form"; mkdir -p "$d"; cp "$silu"/*.json "$silu"/*.safetensors "$d"/
  if [ "$form" = normalizer ]; then cp "$here/src/test/resources/tokenizers/spm-normalizer/tokenizer.json" "$d/"
  else cp "$here/src/test/resources/tokenizers/spm-model/tokenizer.model" "$d/"; fi
  "$here/prosparse" export gguf --model "$d" --f32 --out "$work/dense-$form.gguf" > /dev/null
  for p in "$prompt" "Hello world, naïve café 東京" "It was the best of times."; do
    o="$(ref tokenize "$d" "$p" 2>/dev/null)"; e="$("$work/logits_dump" tokenize "$work/dense-$form.gguf" "$p" 2>/dev/null)"
    [ "$o" = "$e" ] && echo "tokenization ($form, \"${p:0:24}…\"): SAME" || { echo "tokenization ($form, \"${p:0:24}…\"): DIFFERENT: ours $o / engine $e"; fail=1; }
  done
done

echo "== 2. PowerInfer export with predictors: logits under the same masks ($relu, $preds)"
"$here/prosparse" export gguf --model "$relu" --predictors "$preds" --pad-ffn 1024 --out "$work/sparse.gguf"
text="It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of Darkness."
ref tokenize "$relu" "$text" 2>/dev/null > "$work/ids.txt"
echo "$(wc -w < "$work/ids.txt") tokens"
vocab="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$relu/config.json" 2>/dev/null || grep -o '"vocab_size": *[0-9]*' "$relu/config.json" | grep -o '[0-9]*$')"
"$work/logits_dump" logits "$work/sparse.gguf" "$work/ids.txt" "$work/engine.f32" 2> "$work/engine.log" || { tail -20 "$work/engine.log"; exit 1; }
grep -i -E 'sparse|threshold|n_ff' "$work/engine.log" | head -5 || true
ref logits "$work/sparse.gguf" "$relu" "$work/ids.txt" "$work/ours.f32"
ref compare-masked "$work/engine.f32" "$work/ours.f32" "$vocab" || fail=1

echo "== 2b. the export's arithmetic with every neuron computed (fc2 = 0, threshold -1: no mask can differ): strict"
ref all-neurons "$preds" "$work/preds-all"
"$here/prosparse" export gguf --model "$relu" --predictors "$work/preds-all" --pad-ffn 1024 --out "$work/all.gguf" > /dev/null 2>&1
"$work/logits_dump" logits "$work/all.gguf" "$work/ids.txt" "$work/all-engine.f32" 2> "$work/all.log"
ref logits "$work/all.gguf" "$relu" "$work/ids.txt" "$work/all-ours.f32" 2>/dev/null
ref compare "$work/all-engine.f32" "$work/all-ours.f32" "$vocab" || fail=1

echo "== 3. negative control: fc2 negated must NOT match our masks"
ref negate-fc2 "$preds" "$work/preds-negated"
"$here/prosparse" export gguf --model "$relu" --predictors "$work/preds-negated" --pad-ffn 1024 --out "$work/negated.gguf"
"$work/logits_dump" logits "$work/negated.gguf" "$work/ids.txt" "$work/negated.f32" 2> "$work/negated.log"
if ref compare-masked "$work/negated.f32" "$work/ours.f32" "$vocab"; then
  echo "negative control: the negated predictors matched too: the check cannot tell masks apart"; fail=1
else
  echo "negative control: differs, as it must"
fi
[ "$fail" = 0 ] && echo "== ALL CHECKS PASSED" || echo "== SOME CHECKS FAILED"
exit "$fail"
