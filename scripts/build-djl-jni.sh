#!/usr/bin/env bash
# For offline GPU users: builds DJL 0.35.1's PyTorch JNI (libdjl_torch.so) against the CUDA torch that python3 imports
# (or TORCH_DIR), installs it where DJL looks, and prints the three variables that make prosparse use that torch.
#   bash scripts/build-djl-jni.sh DJL_SRC      # DJL_SRC: git clone --branch v0.35.1 https://github.com/deepjavalibrary/djl
# Needs: a JDK (javac, for the JNI header), CMake, a C++17 compiler, the CUDA toolkit headers, `mvn package` done here
# (the DJL jars in target/lib). This is DJL's own engines/pytorch/pytorch-native/build.sh without its libtorch download.
# Written from the recipe that built the test machines' JNI; not run on this project's CPU machines (no torch there).
set -euo pipefail
SRC="$(cd "${1:?usage: build-djl-jni.sh DJL_SRC}" && pwd)"
PN="$SRC/engines/pytorch/pytorch-native"
[[ -d "$PN/src/main/native" ]] || { echo "build-djl-jni.sh: $SRC is not a DJL source tree (no $PN/src/main/native)" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ls "$ROOT"/target/lib/pytorch-engine-*.jar >/dev/null 2>&1 || { echo "build-djl-jni.sh: run mvn package in $ROOT first" >&2; exit 2; }
TORCH_DIR="${TORCH_DIR:-$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')}"
TV="${PYTORCH_VERSION:-$(python3 -c 'import torch; print(torch.__version__.split("+")[0])')}"
FLAVOR="${PYTORCH_FLAVOR:-cu$(python3 -c 'import torch; print(torch.version.cuda.replace(".", ""))')}"
B="$PN/build"; mkdir -p "$B/include" "$B/classes"
# the JNI header DJL's gradle build would generate
javac -h "$B/include" -d "$B/classes" -cp "$ROOT/target/lib/*" \
  "$SRC/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
cd "$B"; rm -rf CMakeCache.txt CMakeFiles libdjl_torch.so
cmake -DCMAKE_PREFIX_PATH="$TORCH_DIR;$TORCH_DIR/share/cmake" -DCMAKE_BUILD_TYPE=Release -DUSE_CUDA=1 .. > cmake-configure.log
cmake --build . --config Release -j "$(nproc)" > cmake-build.log
# as DJL's build.sh does: no direct link to the toolkit's libcudart/libnvrtc (torch brings its own)
sed -i -r "s/\/usr\/local\/cuda(.{5})?\/lib64\/lib(cudart|nvrtc).so//g" CMakeFiles/djl_torch.dir/link.txt
rm -f libdjl_torch.so; (set +u; ORIGIN='$ORIGIN'; . CMakeFiles/djl_torch.dir/link.txt)
CACHE="${DJL_CACHE_DIR:-$HOME/.djl.ai}/pytorch/$TV-$FLAVOR-linux-x86_64"
mkdir -p "$CACHE"; cp libdjl_torch.so "$CACHE/0.35.1-libdjl_torch.so"
echo "installed $CACHE/0.35.1-libdjl_torch.so; now run prosparse with:"
echo "  export PYTORCH_LIBRARY_PATH=$TORCH_DIR/lib PYTORCH_VERSION=$TV PYTORCH_FLAVOR=$FLAVOR"
echo "  prosparse doctor        # should list your GPUs"
