#!/usr/bin/env bash
# Sourced by scripts/gpu-check.sh and scripts/bench-gpu.sh on a GPU machine with python torch but no Java (the lent
# test machines): unpacks the kit's JRE, installs its DJL JNI where DJL looks, points DJL at the installed torch, and
# defines  pcli ARGS...  (the prosparse CLI) and  pjava MAIN_CLASS ARGS...  (another main class of the jar).
# The kit is what ../shared/gpu/stage.sh makes (jre.tar.xz, app/, libdjl_torch.so); PROSPARSE_KIT names its folder.
set -euo pipefail
KIT="${PROSPARSE_KIT:-.carry/gpu}"
KIT="$(cd "$KIT" && pwd)"
W="${TMPDIR:-/tmp}/prosparse-gpu"; mkdir -p "$W"
[[ -x "$W/jre/bin/java" ]] || tar -C "$W" -xJf "$KIT/jre.tar.xz"
TORCH_DIR="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
TV="$(python3 -c 'import torch; print(torch.__version__.split("+")[0])')"
FLAVOR="cu$(python3 -c 'import torch; print(torch.version.cuda.replace(".", ""))')"
mkdir -p "$W/djl/pytorch/$TV-$FLAVOR-linux-x86_64"
cp "$KIT/libdjl_torch.so" "$W/djl/pytorch/$TV-$FLAVOR-linux-x86_64/0.35.1-libdjl_torch.so"
CUDART="$(dirname "$(find "$TORCH_DIR/../nvidia" -name 'libcudart.so*' 2>/dev/null | head -1)")"
export DJL_CACHE_DIR="$W/djl" PYTORCH_LIBRARY_PATH="$TORCH_DIR/lib" PYTORCH_VERSION="$TV" PYTORCH_FLAVOR="$FLAVOR" DJL_OFFLINE=true
mkdir -p "$W/res/dev/prosparse/data"
ln -sf "$PWD/src/main/resources/dev/prosparse/data/train.jsonl.gz" "$W/res/dev/prosparse/data/train.jsonl.gz"
# the shared libraries the kit JRE's font code links (libharfbuzz, libfreetype, ...: a Debian JRE takes them from the
# system) when the kit carries them in syslib/ and the machine lacks them; fonts themselves come with the jar
SYSLIB=""; if [[ -d "$KIT/syslib" ]]; then SYSLIB="$KIT/syslib"; fi
# the Vector API of bench ffn's row kernels, when the kit's JRE has the module (without it: scalar kernels, said in the output)
VECTOR=""; if "$W/jre/bin/java" --list-modules 2>/dev/null | grep -q '^jdk.incubator.vector'; then VECTOR="--add-modules jdk.incubator.vector"; fi
pjava() {
  LD_LIBRARY_PATH="${SYSLIB}${LD_LIBRARY_PATH:+${SYSLIB:+:}$LD_LIBRARY_PATH}" "$W/jre/bin/java" ${PROSPARSE_JAVA_OPTS:--Xmx32g} $VECTOR -Dprosparse.home="$PWD" -Dai.djl.offline=true \
    -Dai.djl.default_engine=PyTorch -Djna.library.path="$CUDART" -cp "$KIT/app/prosparse.jar:$KIT/app/lib/*:$W/res" "$@"
}
pcli() { pjava dev.prosparse.cli.Main "$@"; }
