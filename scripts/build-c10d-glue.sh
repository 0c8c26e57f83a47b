#!/usr/bin/env bash
# Builds the c10d JNI glue (libprosparse_c10d.so) that distributed training loads (docs/distributed.md), against the
# torch that python3 imports (or TORCH_DIR: an unpacked torch/ folder with include/ and lib/), the way DJL's own JNI is
# built per libtorch version (scripts/build-djl-jni.sh).
#   bash scripts/build-c10d-glue.sh [OUT_DIR]        # default OUT_DIR: target/native
# Env: TORCH_DIR; JNI_INCLUDE (a folder with jni.h and linux/jni_md.h; default $JAVA_HOME/include);
#      USE_NCCL=0|1 (default 1 when the torch has libtorch_cuda.so and nccl.h is found); CXX (default g++).
# Then run prosparse with PROSPARSE_C10D_GLUE=OUT_DIR/libprosparse_c10d.so (or from the project root, where
# target/native/ is the default). Needs: a C++17 compiler; no CMake, no JDK beyond the two JNI headers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/target/native}"; mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
SRC="$ROOT/src/main/native/c10d"
if [[ -z "${TORCH_DIR:-}" ]]; then
  TORCH_DIR="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')" || {
    echo "build-c10d-glue.sh: python3 cannot import torch; set TORCH_DIR to a torch folder with include/ and lib/" >&2; exit 2; }
  ABI="$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
else
  ABI="${TORCH_ABI:-1}"
fi
[[ -f "$TORCH_DIR/include/torch/csrc/distributed/c10d/ProcessGroupGloo.hpp" ]] || {
  echo "build-c10d-glue.sh: $TORCH_DIR/include has no c10d headers (torch/csrc/distributed/c10d); use a torch install that ships them (pip wheels do)" >&2; exit 2; }
JI="${JNI_INCLUDE:-${JAVA_HOME:+$JAVA_HOME/include}}"
[[ -n "$JI" && -f "$JI/jni.h" && -f "$JI/linux/jni_md.h" ]] || {
  echo "build-c10d-glue.sh: jni.h not found: set JNI_INCLUDE to a folder with jni.h and linux/jni_md.h (a JDK's include/)" >&2; exit 2; }
INC=(-I"$JI" -I"$JI/linux" -isystem "$TORCH_DIR/include" -isystem "$TORCH_DIR/include/torch/csrc/api/include")
DEFS=(-D_GLIBCXX_USE_CXX11_ABI="$ABI" -DUSE_DISTRIBUTED -DUSE_C10D_GLOO)
LIBS=(-L"$TORCH_DIR/lib" -Wl,-rpath,"$TORCH_DIR/lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10)
# pip wheels ship ProcessGroupGloo.hpp without the Gloo headers it includes: declarations stand in (gloo-decl/README.md)
if [[ -f "$TORCH_DIR/include/gloo/algorithm.h" ]]; then GLOO="torch's own"; else INC+=(-isystem "$SRC/gloo-decl"); GLOO="declarations from gloo-decl/"; fi
NCCL_INC=""
for d in "$TORCH_DIR"/../nvidia/nccl/include /usr/include /usr/local/cuda/include; do
  if [[ -f "$d/nccl.h" ]]; then NCCL_INC="$d"; break; fi
done
WANT_NCCL="${USE_NCCL:-auto}"
if [[ "$WANT_NCCL" == auto ]]; then
  WANT_NCCL=0
  if [[ -f "$TORCH_DIR/lib/libtorch_cuda.so" && -n "$NCCL_INC" ]]; then WANT_NCCL=1; fi
fi
if [[ "$WANT_NCCL" == 1 ]]; then
  [[ -n "$NCCL_INC" ]] || { echo "build-c10d-glue.sh: USE_NCCL=1 but no nccl.h (looked in torch's nvidia/nccl, /usr/include, /usr/local/cuda/include)" >&2; exit 2; }
  DEFS+=(-DUSE_C10D_NCCL -DUSE_CUDA)
  INC+=(-isystem "$NCCL_INC")
  if [[ -d /usr/local/cuda/include ]]; then INC+=(-isystem /usr/local/cuda/include); fi
  for d in "$TORCH_DIR"/../nvidia/*/include; do if [[ -d $d ]]; then INC+=(-isystem "$d"); fi; done
  LIBS+=(-ltorch_cuda -lc10_cuda)
fi
LIBS+=(-Wl,--as-needed)
# the version macros moved to torch/headeronly/version.h in recent releases
TV="$(cat "$TORCH_DIR/include/torch/csrc/api/include/torch/version.h" "$TORCH_DIR/include/torch/headeronly/version.h" 2>/dev/null \
  | grep -E '#define TORCH_VERSION_(MAJOR|MINOR|PATCH) ' | awk '{print $3}' | paste -sd. || true)"
echo "[build-c10d-glue] torch $TV at $TORCH_DIR, cxx11 abi $ABI, Gloo headers: $GLOO, NCCL: $WANT_NCCL${NCCL_INC:+ (nccl.h in $NCCL_INC)}"
t0=$(date +%s)
"${CXX:-g++}" -std=c++17 -O2 -fPIC -shared "${DEFS[@]}" "${INC[@]}" "$SRC/prosparse_c10d.cc" -o "$OUT/libprosparse_c10d.so.tmp" "${LIBS[@]}"
mv "$OUT/libprosparse_c10d.so.tmp" "$OUT/libprosparse_c10d.so"
echo "[build-c10d-glue] built $OUT/libprosparse_c10d.so in $(( $(date +%s) - t0 )) s for libtorch $TV"
# every torch/c10 library it needs must resolve inside TORCH_DIR/lib, and no gloo symbol may be left to resolve
LD_LIBRARY_PATH="$TORCH_DIR/lib" ldd "$OUT/libprosparse_c10d.so" | grep -E 'torch|c10|not found' || true
if nm -D --undefined-only -C "$OUT/libprosparse_c10d.so" | grep -q ' gloo::'; then
  echo "[build-c10d-glue] ERROR: the glue refers to gloo symbols; the declarations in gloo-decl/ were used beyond their purpose" >&2; exit 3
fi
