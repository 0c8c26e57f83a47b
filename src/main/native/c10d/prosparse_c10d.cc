// JNI glue between prosparse's dev.prosparse.dist.NativeCollectives and c10d, the distributed engine inside
// libtorch (docs/distributed.md). Works in place on the torch::Tensor behind a DJL PtNDArray handle (DJL's handle is
// a pointer to a torch::Tensor). Built per libtorch version by scripts/build-c10d-glue.sh.
//
// One Group = one store (TCPStore, optionally under a PrefixStore) + one process group backend (Gloo for CPU
// tensors, NCCL for CUDA tensors). Every call blocks until this rank's result is in place (Gloo) or is ordered on the
// current CUDA stream (NCCL; work->wait()), and c10d errors become Java exceptions with c10d's message.
#include <jni.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/version.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  bool gloo = true;
  int rank = 0;
  int world = 1;
  std::chrono::milliseconds timeout{0};
};

at::Tensor& tensor(jlong handle) {
  return *reinterpret_cast<at::Tensor*>(handle);
}

Group* group(jlong handle) {
  return reinterpret_cast<Group*>(handle);
}

std::string str(JNIEnv* env, jstring s) {
  const char* c = env->GetStringUTFChars(s, nullptr);
  std::string out(c);
  env->ReleaseStringUTFChars(s, c);
  return out;
}

void throwJava(JNIEnv* env, const std::string& msg) {
  jclass cls = env->FindClass("java/lang/IllegalStateException");
  if (cls != nullptr) {
    env->ThrowNew(cls, msg.c_str());
  }
}

// Runs body; a C++ exception becomes a Java IllegalStateException carrying its message (c10::Error's what() holds
// the c10d text, e.g. Gloo's "Connection closed by peer" or a timeout).
template <typename F>
auto guarded(JNIEnv* env, const char* op, F body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::string what = e.what();
    // c10::Error appends a C++ backtrace after the first line: keep the first lines only
    size_t cut = what.find("\nException raised from");
    throwJava(env, std::string(op) + ": " + (cut == std::string::npos ? what : what.substr(0, cut)));
  } catch (...) {
    throwJava(env, std::string(op) + ": unknown C++ exception");
  }
  return decltype(body())();
}

void wait(const c10::intrusive_ptr<c10d::Work>& work) {
  work->wait();
}

void requireContiguous(const at::Tensor& t, const char* what) {
  if (!t.is_contiguous()) {
    throw std::invalid_argument(std::string(what) + " must be a contiguous tensor");
  }
}

}  // namespace

extern "C" {

// "2.11.0": the libtorch version this glue was compiled against.
JNIEXPORT jstring JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeTorchVersion(JNIEnv* env, jclass) {
  std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
      std::to_string(TORCH_VERSION_PATCH);
  return env->NewStringUTF(v.c_str());
}

// "gloo" and/or "nccl": the backends compiled in.
JNIEXPORT jstring JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeBackends(JNIEnv* env, jclass) {
  std::string b;
#ifdef USE_C10D_GLOO
  b += "gloo";
#endif
#ifdef USE_C10D_NCCL
  b += b.empty() ? "nccl" : ",nccl";
#endif
  return env->NewStringUTF(b.c_str());
}

// Connects to (or hosts) the TCPStore and creates the process group. Returns a Group* as a long, 0 after a Java
// exception. cudaDevice < 0: Gloo on the CPU; otherwise NCCL with this rank on that GPU.
JNIEXPORT jlong JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeCreate(JNIEnv* env, jclass, jstring jhost,
    jint port, jboolean isServer, jstring jprefix, jint rank, jint world, jlong timeoutMs, jint cudaDevice) {
  std::string host = str(env, jhost);
  std::string prefix = str(env, jprefix);
  return guarded(env, "c10d init", [&]() -> jlong {
    auto g = std::make_unique<Group>();
    g->rank = rank;
    g->world = world;
    g->timeout = std::chrono::milliseconds(timeoutMs);
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    so.isServer = isServer;
    so.numWorkers = static_cast<std::size_t>(world);
    so.waitWorkers = false;
    so.timeout = g->timeout;
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(host, so);
    if (!prefix.empty()) {
      store = c10::make_intrusive<c10d::PrefixStore>(prefix, store);
    }
    g->store = store;
    if (cudaDevice < 0) {
#ifdef USE_C10D_GLOO
      auto opts = c10d::ProcessGroupGloo::Options::create(g->timeout);
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      opts->threads = 2;
      g->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, opts);
      g->gloo = true;
#else
      throw std::runtime_error("this glue was built without Gloo (USE_C10D_GLOO)");
#endif
    } else {
#ifdef USE_C10D_NCCL
      c10::cuda::set_device(static_cast<c10::DeviceIndex>(cudaDevice));
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = g->timeout;
      g->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, opts);
      g->gloo = false;
#else
      throw std::runtime_error("this glue was built without NCCL (USE_C10D_NCCL): rebuild it with a CUDA torch");
#endif
    }
    return reinterpret_cast<jlong>(g.release());
  });
}

JNIEXPORT void JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeAllReduceSum(JNIEnv* env, jclass, jlong h,
    jlong t) {
  guarded(env, "all_reduce", [&]() -> int {
    at::Tensor& x = tensor(t);
    requireContiguous(x, "all_reduce input");
    std::vector<at::Tensor> v{x};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp(c10d::ReduceOp::SUM);
    o.timeout = group(h)->timeout;
    wait(group(h)->backend->allreduce(v, o));
    return 0;
  });
}

// out [S] <- this rank's part of the sum of in [world*S]. Gloo: all-reduce of in, then out <- in[rank*S, (rank+1)*S)
// (Gloo's reduce-scatter does not cover every libtorch release); NCCL: _reduce_scatter_base.
JNIEXPORT void JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeReduceScatterSum(JNIEnv* env, jclass, jlong h,
    jlong in, jlong out) {
  guarded(env, "reduce_scatter", [&]() -> int {
    Group* g = group(h);
    at::Tensor& i = tensor(in);
    at::Tensor& o = tensor(out);
    requireContiguous(i, "reduce_scatter input");
    requireContiguous(o, "reduce_scatter output");
    if (i.numel() != o.numel() * g->world) {
      throw std::invalid_argument("reduce_scatter: input has " + std::to_string(i.numel()) + " elements, output " +
          std::to_string(o.numel()) + " x world " + std::to_string(g->world));
    }
    if (g->gloo) {
      std::vector<at::Tensor> v{i};
      c10d::AllreduceOptions ao;
      ao.reduceOp = c10d::ReduceOp(c10d::ReduceOp::SUM);
      ao.timeout = g->timeout;
      wait(g->backend->allreduce(v, ao));
      at::NoGradGuard ng;
      o.copy_(i.narrow(0, static_cast<int64_t>(g->rank) * o.numel(), o.numel()));
    } else {
      c10d::ReduceScatterOptions ro;
      ro.reduceOp = c10d::ReduceOp(c10d::ReduceOp::SUM);
      ro.timeout = g->timeout;
      wait(g->backend->_reduce_scatter_base(o, i, ro));
    }
    return 0;
  });
}

// out [world*S] <- concatenation of every rank's in [S]. Gloo: allgather into views of out; NCCL: _allgather_base.
JNIEXPORT void JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeAllGather(JNIEnv* env, jclass, jlong h,
    jlong in, jlong out) {
  guarded(env, "all_gather", [&]() -> int {
    Group* g = group(h);
    at::Tensor& i = tensor(in);
    at::Tensor& o = tensor(out);
    requireContiguous(i, "all_gather input");
    requireContiguous(o, "all_gather output");
    if (o.numel() != i.numel() * g->world) {
      throw std::invalid_argument("all_gather: output has " + std::to_string(o.numel()) + " elements, input " +
          std::to_string(i.numel()) + " x world " + std::to_string(g->world));
    }
    c10d::AllgatherOptions ao;
    ao.timeout = g->timeout;
    if (g->gloo) {
      std::vector<at::Tensor> parts;
      for (int r = 0; r < g->world; r++) {
        parts.push_back(o.narrow(0, static_cast<int64_t>(r) * i.numel(), i.numel()));
      }
      std::vector<std::vector<at::Tensor>> outputs{parts};
      std::vector<at::Tensor> inputs{i};
      wait(g->backend->allgather(outputs, inputs, ao));
    } else {
      wait(g->backend->_allgather_base(o, i, ao));
    }
    return 0;
  });
}

JNIEXPORT void JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeBroadcast(JNIEnv* env, jclass, jlong h, jlong t,
    jint root) {
  guarded(env, "broadcast", [&]() -> int {
    at::Tensor& x = tensor(t);
    requireContiguous(x, "broadcast tensor");
    std::vector<at::Tensor> v{x};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    o.rootTensor = 0;
    o.timeout = group(h)->timeout;
    wait(group(h)->backend->broadcast(v, o));
    return 0;
  });
}

JNIEXPORT void JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeBarrier(JNIEnv* env, jclass, jlong h) {
  guarded(env, "barrier", [&]() -> int {
    c10d::BarrierOptions o;
    o.timeout = group(h)->timeout;
    wait(group(h)->backend->barrier(o));
    return 0;
  });
}

// store counter key += delta; returns the new value (delta 0 reads it). For the liveness counters that name a dead rank.
JNIEXPORT jlong JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeStoreAdd(JNIEnv* env, jclass, jlong h,
    jstring jkey, jlong delta) {
  std::string key = str(env, jkey);
  return guarded(env, "store", [&]() -> jlong { return group(h)->store->add(key, delta); });
}

JNIEXPORT void JNICALL Java_dev_prosparse_dist_NativeCollectives_nativeDestroy(JNIEnv* env, jclass, jlong h) {
  guarded(env, "c10d shutdown", [&]() -> int {
    Group* g = group(h);
    g->backend.reset();
    g->store.reset();
    delete g;
    return 0;
  });
}

}  // extern "C"
