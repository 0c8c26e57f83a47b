package dev.prosparse.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import dev.prosparse.model.ScriptModules;
import dev.prosparse.model.TorchScriptArchive;
import dev.prosparse.util.Lazy;
import dev.prosparse.util.Torch;
import java.util.List;

/**
 * The multi-tensor kernels of the fused optimizer step and of optimizer offload, for DJL, which has none: TorchScript
 * modules written in memory ({@link TorchScriptArchive}), loaded once per process and run through {@link PtSymbolBlock} without autograd
 * (DJL runs a module's forward in inference mode). Each call passes whole lists of tensors, so libtorch runs one
 * {@code torch._foreach_*} kernel over all of them (on a GPU: a few launches per list; on a CPU: a loop in C++)
 * instead of one JNI call per tensor and operation (docs/gpu.md, "Fused optimizer step").
 * <ul>
 *   <li>{@code norm(grads)}: Σ_tensors ‖g‖², the square of the global gradient norm, as a float32 scalar, from
 *       {@code torch._foreach_norm(grads, 2, dtype=float32)} on a GPU (float16 gradients are summed in float32). On a
 *       CPU it sums each tensor's squares instead, in the same module call: libtorch 2.7.1's CPU norm kernel loses
 *       about 2e-5 relative on a million elements, the CPU sum (cascade summation) about 1e-8. An inf or NaN anywhere
 *       makes it non-finite: it is also the loss scaler's overflow check.</li>
 *   <li>{@code adamw(params, grads, exp_avgs, exp_avg_sqs, h)}: AdamW on float32 parameters and moments with float32
 *       or float16 gradients, the formula of {@link AdamW} operation for operation; then zeroes the gradients.</li>
 * </ul>
 */
final class OptimizerModules {
    private static final String NORM = "  def forward(self: __torch__.GradNorm,\n"
            + "    grads: List[Tensor]) -> Tensor:\n"
            + "    if grads[0].is_cuda:\n"
            + "      norms = torch._foreach_norm(grads, 2, 6)\n"
            + "      return torch.sum(torch.square(torch.stack(norms)))\n"
            + "    sums = [torch.sum(torch.square(g.float())) for g in grads]\n"
            + "    return torch.sum(torch.stack(sums))\n";
    /**
     * h = [lr, weight_decay, grad_scale, β1, 1−β1, β2, 1−β2, lr·√(1−β2ᵗ)/(1−β1ᵗ), ε], each rounded to float32 as DJL's
     * per-tensor update rounds them. The float32 copies of float16 gradients exist only for the tensors of one call.
     */
    private static final String ADAMW = "  def forward(self: __torch__.AdamWChunk,\n"
            + "    params: List[Tensor],\n"
            + "    grads: List[Tensor],\n"
            + "    exp_avgs: List[Tensor],\n"
            + "    exp_avg_sqs: List[Tensor],\n"
            + "    h: List[float]) -> int:\n"
            + "    if h[1] != 0.:\n"
            + "      d = torch._foreach_mul(params, h[0])\n"
            + "      torch._foreach_mul_(d, h[1])\n"
            + "      torch._foreach_sub_(params, d)\n"
            + "    g = [x.float() for x in grads]\n"
            + "    torch._foreach_mul_(g, h[2])\n"
            + "    torch._foreach_mul_(exp_avgs, h[3])\n"
            + "    torch._foreach_add_(exp_avgs, g, alpha=h[4])\n"
            + "    torch._foreach_mul_(exp_avg_sqs, h[5])\n"
            + "    torch._foreach_addcmul_(exp_avg_sqs, g, g, h[6])\n"
            + "    torch._foreach_zero_(grads)\n"
            + "    den = torch._foreach_sqrt(exp_avg_sqs)\n"
            + "    torch._foreach_add_(den, h[8])\n"
            + "    num = torch._foreach_mul(exp_avgs, h[7])\n"
            + "    torch._foreach_div_(num, den)\n"
            + "    torch._foreach_sub_(params, num)\n"
            + "    return 0\n";

    /** Optimizer offload: the new compute weights (host) into the device copies, then the copies' gradients zeroed. */
    private static final String REFRESH = "  def forward(self: __torch__.RefreshCopies,\n"
            + "    copies: List[Tensor],\n"
            + "    values: List[Tensor],\n"
            + "    grads: List[Tensor]) -> int:\n"
            + "    for i in range(len(copies)):\n"
            + "      copies[i].copy_(values[i])\n"
            + "    torch._foreach_zero_(grads)\n"
            + "    return 0\n";
    /**
     * Optimizer offload: host copies of the device gradients, in page-locked memory when {@code pin} (a GPU's copy engine
     * then writes them directly, with no staging copy through pageable memory; libtorch caches the pinned blocks).
     */
    private static final String DOWNLOAD = "  def forward(self: __torch__.HostDownload,\n"
            + "    grads: List[Tensor],\n"
            + "    pin: bool) -> List[Tensor]:\n"
            + "    out = annotate(List[Tensor], [])\n"
            + "    for g in grads:\n"
            + "      h = torch.empty(g.size(), dtype=g.dtype, device=torch.device(\"cpu\"), pin_memory=pin)\n"
            + "      h.copy_(g)\n"
            + "      out.append(h)\n"
            + "    return out\n";
    /** dsts[i] ← srcs[i] (cast to dsts[i]'s dtype, round to nearest even). */
    private static final String COPY = "  def forward(self: __torch__.CopyInto,\n"
            + "    dsts: List[Tensor],\n"
            + "    srcs: List[Tensor]) -> int:\n"
            + "    for i in range(len(dsts)):\n"
            + "      dsts[i].copy_(srcs[i])\n"
            + "    return 0\n";
    private static final String ZERO = "  def forward(self: __torch__.ZeroGrads,\n"
            + "    grads: List[Tensor]) -> int:\n"
            + "    torch._foreach_zero_(grads)\n"
            + "    return 0\n";

    /**
     * AdamW in one pass per tensor: libtorch's {@code torch._fused_adamw_} (the kernel of PyTorch's
     * {@code AdamW(fused=True)}), which reads p, g, m, v once and writes p, m, v once, where the {@code _foreach_*}
     * module above makes about fifteen passes. Its formula puts ε after the bias correction of v; ours (class
     * {@link AdamW}) puts it before: p ← p − lr·√(1−β2ᵗ)/(1−β1ᵗ)·m/(√v + ε), which is PyTorch's with ε' = ε/√(1−β2ᵗ),
     * so that is the ε passed (h[5]). It divides each gradient by {@code grad_scale}: 1/h[2]. It wants gradients in
     * the parameters' dtype, so float16 gradients are cast for the tensors of one call.
     * h = [lr, weight_decay, grad_scale, β1, β2, ε', t].
     */
    private static final String ADAMW_ONE_PASS = "  def forward(self: __torch__.AdamWOnePass,\n"
            + "    params: List[Tensor],\n"
            + "    grads: List[Tensor],\n"
            + "    exp_avgs: List[Tensor],\n"
            + "    exp_avg_sqs: List[Tensor],\n"
            + "    h: List[float]) -> int:\n"
            + "    dev = params[0].device\n"
            + "    g = [x.float() for x in grads]\n"
            + "    step = torch.full([], h[6], dtype=6, device=dev)\n"
            + "    steps = [step for _ in params]\n"
            + "    inv = torch.full([], 1.0 / h[2], dtype=6, device=dev)\n"
            + "    torch._fused_adamw_(params, g, exp_avgs, exp_avg_sqs, [], steps, lr=h[0], beta1=h[3], beta2=h[4],"
            + " weight_decay=h[1], eps=h[5], amsgrad=False, maximize=False, grad_scale=inv, found_inf=None)\n"
            + "    torch._foreach_zero_(grads)\n"
            + "    return 0\n";

    private static final Lazy<OptimizerModules> INSTANCE = Lazy.of(OptimizerModules::new);

    private final NDManager manager;
    private final PtSymbolBlock norm;
    private final Lazy<PtSymbolBlock> adamw;   // the _foreach_ update: the benchmarks' and tests' reference
    private final Lazy<PtSymbolBlock> refresh, zero, download, copy;   // optimizer offload only
    private final Lazy<PtSymbolBlock> onePass;

    private OptimizerModules() {
        manager = Torch.newBaseManager();   // lives as long as the process; the modules hold no tensors
        norm = load("grad_norm", "GradNorm", NORM);
        adamw = Lazy.of(() -> load("adamw_chunk", "AdamWChunk", ADAMW));
        refresh = Lazy.of(() -> load("refresh_copies", "RefreshCopies", REFRESH));
        zero = Lazy.of(() -> load("zero_grads", "ZeroGrads", ZERO));
        download = Lazy.of(() -> load("host_download", "HostDownload", DOWNLOAD));
        copy = Lazy.of(() -> load("copy_into", "CopyInto", COPY));
        onePass = Lazy.of(() -> load("adamw_one_pass", "AdamWOnePass", ADAMW_ONE_PASS));
    }

    /** The modules, loaded on first use. */
    static OptimizerModules get() {
        return INSTANCE.get();
    }

    private PtSymbolBlock load(String name, String className, String forward) {
        return ScriptModules.load(manager, name, className, forward, "the fused optimizer step (torch._foreach_* ops)",
                "Use the per-tensor step instead: --set optimizer.kernel=per-tensor");
    }

    /** Σ ‖g‖² over {@code grads} (float32 or float16), a float32 scalar in {@code scope} on the gradients' device. */
    NDArray squareNorm(List<NDArray> grads, NDManager scope) {
        try (IValue list = IValue.listFrom(pt(grads)); IValue out = norm.forward(list)) {
            return out.toTensor((PtNDManager) scope);
        }
    }

    /** One AdamW update of {@code params} in place (see {@link #ADAMW} for h); zeroes {@code grads}. */
    void adamw(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvg, List<NDArray> expAvgSq, double[] h) {
        run(adamw.get(), h, params, grads, expAvg, expAvgSq);
    }

    /** copies[i] ← values[i] (any devices, same shape and dtype), then every gradient in {@code grads} ← 0. */
    void refresh(List<NDArray> copies, List<NDArray> values, List<NDArray> grads) {
        run(refresh.get(), null, copies, values, grads);
    }

    /** Contiguous host copies of {@code grads} (page-locked when {@code pin}), in {@code scope}, in order. */
    List<NDArray> download(List<NDArray> grads, boolean pin, NDManager scope) {
        try (IValue g = IValue.listFrom(pt(grads)); IValue p = IValue.from(pin); IValue out = download.get().forward(g, p)) {
            return List.of(out.toTensorArray((PtNDManager) scope));
        }
    }

    /** Loads the offload modules now, on the calling thread, so that the pipeline's threads never load one at once. */
    void loadOffload() {
        refresh.get();
        zero.get();
        download.get();
        copy.get();
    }

    /** dsts[i] ← srcs[i], cast to the dtype of dsts[i]. */
    void copyInto(List<NDArray> dsts, List<NDArray> srcs) {
        run(copy.get(), null, dsts, srcs);
    }

    /** Every tensor of {@code grads} ← 0 in one call. */
    void zero(List<NDArray> grads) {
        run(zero.get(), null, grads);
    }

    /** One AdamW update in one pass per tensor (see {@link #ADAMW_ONE_PASS} for h); zeroes {@code grads}. */
    void adamwOnePass(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvg, List<NDArray> expAvgSq, double[] h) {
        run(onePass.get(), h, params, grads, expAvg, expAvgSq);
    }

    /** Runs an in-place {@code module} (it returns an int) on {@code lists}, then on {@code h} when there is one. */
    @SafeVarargs
    private static void run(PtSymbolBlock module, double[] h, List<NDArray>... lists) {
        IValue[] in = new IValue[lists.length + (h != null ? 1 : 0)];
        try {
            for (int i = 0; i < lists.length; i++) {
                in[i] = IValue.listFrom(pt(lists[i]));
            }
            if (h != null) {
                in[lists.length] = IValue.listFrom(h);
            }
            try (IValue out = module.forward(in)) {
                out.toLong();
            }
        } finally {
            for (IValue v : in) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    private static PtNDArray[] pt(List<NDArray> arrays) {
        PtNDArray[] a = new PtNDArray[arrays.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = (PtNDArray) arrays.get(i);
        }
        return a;
    }
}
