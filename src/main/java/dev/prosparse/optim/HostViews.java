package dev.prosparse.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Zero-copy views of host tensors for {@link HostAdamW} (docs/gpu.md, "Optimizer offload"). DJL's
 * {@code toByteBuffer(true)} on a contiguous CPU tensor returns a direct buffer over the tensor's own memory (the
 * engine's {@code torchDirectByteBuffer}): writing through it writes the tensor. The buffer does not keep the tensor
 * alive, so the tensor must outlive every use of it. A Java buffer holds at most 2³¹−1 bytes, so a tensor of more
 * than {@link #PIECE} elements is viewed as flat pieces (libtorch views of the same memory) of at most that many.
 */
public final class HostViews {
    private HostViews() {}

    /** Elements of one piece: 1 GiB of float32. */
    static final long PIECE = 1L << 28;

    /**
     * The memory of {@code a} (on the CPU, contiguous, float32 or float16) as native-order buffers of at most
     * {@link #PIECE} elements each, in element order; the piece views (if any) are attached to {@code scope}.
     */
    public static List<ByteBuffer> of(NDArray a, NDManager scope) {
        return of(a, scope, PIECE);
    }

    /** {@link #of(NDArray, NDManager)} with pieces of at most {@code piece} elements (tests use small ones). */
    static List<ByteBuffer> of(NDArray a, NDManager scope, long piece) {
        if (a.getDevice().isGpu()) {
            throw new IllegalArgumentException("host AdamW works on CPU tensors, got one on " + a.getDevice());
        }
        DataType t = a.getDataType();
        if (t != DataType.FLOAT32 && t != DataType.FLOAT16) {
            throw new IllegalArgumentException("host AdamW reads float32 or float16 tensors, got " + t);
        }
        long n = a.size();
        List<ByteBuffer> out = new ArrayList<>();
        if (n <= piece) {
            out.add(direct(a));
            return out;
        }
        long[] cuts = new long[(int) ((n - 1) / piece)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = (i + 1) * piece;
        }
        NDArray flat = a.reshape(-1);                 // [n], a view
        flat.attach(scope);
        NDList pieces = flat.split(cuts, 0);          // views of ≤ piece elements
        pieces.attach(scope);
        for (NDArray view : pieces) {
            out.add(direct(view));
        }
        return out;
    }

    private static ByteBuffer direct(NDArray a) {
        // on a non-contiguous tensor DJL would hand out a view of a contiguous copy: writes would be lost
        if (!contiguous((PtNDArray) a)) {
            throw new IllegalStateException("host AdamW needs contiguous tensors; got one of shape " + a.getShape()
                    + " that is not");
        }
        long bytes = a.size() * a.getDataType().getNumOfBytes();
        ByteBuffer b = ((PtNDArray) a).toByteBuffer(true);
        if (!b.isDirect() || b.capacity() != bytes) {
            throw new IllegalStateException("no direct view of a host tensor of " + bytes + " bytes (got a "
                    + (b.isDirect() ? "direct" : "heap") + " buffer of " + b.capacity() + " bytes)");
        }
        return b.order(ByteOrder.nativeOrder());
    }

    /** libtorch's is_contiguous, which the engine keeps package-private (read once by reflection). */
    private static boolean contiguous(PtNDArray a) {
        try {
            return (boolean) IS_CONTIGUOUS.invoke(LIB, a.getHandle());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot ask libtorch whether a tensor is contiguous", e);
        }
    }

    private static final Object LIB;
    private static final Method IS_CONTIGUOUS;

    static {
        try {
            Class<?> c = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field lib = c.getDeclaredField("LIB");
            lib.setAccessible(true);
            LIB = lib.get(null);
            IS_CONTIGUOUS = c.getDeclaredMethod("torchIsContiguous", long.class);
            IS_CONTIGUOUS.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
