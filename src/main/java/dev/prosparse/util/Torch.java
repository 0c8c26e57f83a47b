package dev.prosparse.util;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.ProsparseException;

/**
 * Engine start-up and the few tensor helpers every package needs. All DJL work goes through here first,
 * so that the offline mode and the thread count are set before libtorch loads.
 */
public final class Torch {
    private static volatile boolean started;
    /** The device commands compute on ({@link #useDevice}); null: DJL's default (the first GPU when it sees one). */
    private static volatile ai.djl.Device device;

    private Torch() {}

    /**
     * A thread count made concrete: {@code threads} when > 0, else the system property {@code prosparse.threads} (the
     * tests pin it), else every core. For libtorch's pool and for the Java kernels alike.
     */
    public static int threads(int threads) {
        return threads > 0 ? threads : Integer.getInteger("prosparse.threads", Runtime.getRuntime().availableProcessors());
    }

    /**
     * Starts the PyTorch engine offline with a fixed number of intra-op threads. Call before any NDArray
     * work; later calls are no-ops (libtorch fixes its thread pool at start).
     *
     * @param threads intra-op threads; ≤ 0 means the system property {@code prosparse.threads}, else all cores
     */
    public static synchronized Engine start(int threads) {
        if (!started) {
            int n = threads(threads);
            if (buildForcesOffline() || System.getProperty("ai.djl.offline") == null) {
                // the CPU build carries its natives: never reach for the network. A -Pcuda build leaves the choice to
                // the launcher (ai.djl.offline=false: DJL downloads its CUDA libtorch on first start; docs/gpu.md)
                System.setProperty("ai.djl.offline", buildForcesOffline() ? "true" : System.getProperty("ai.djl.offline", "true"));
            }
            System.setProperty("ai.djl.default_engine", "PyTorch");
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(n));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            System.setProperty("ai.djl.disable_progress_bar", "true");
            started = true;
        }
        try {
            return Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new ProsparseException(ProsparseException.Kind.IO,
                    "Could not start the PyTorch engine: " + e.getMessage()
                            + ". The native libraries come from the pytorch-native-cpu jar on the classpath;"
                            + " rebuild with 'mvn package' and make sure DJL_CACHE_DIR (default ~/.djl.ai) is writable", e);
        }
    }

    /** Whether this build forces DJL offline (true unless built with mvn -Pcuda). */
    static boolean buildForcesOffline() {
        try (java.io.InputStream in = Torch.class.getResourceAsStream("/dev/prosparse/version.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return !"false".equals(p.getProperty("djl.offline", "true"));
        } catch (java.io.IOException e) {
            return true;
        }
    }

    /** Makes {@link #newBaseManager} put arrays on {@code d} (a command's --device, resolved). */
    public static void useDevice(ai.djl.Device d) {
        device = d;
    }

    /** The device chosen with {@link #useDevice}, else DJL's default. */
    public static ai.djl.Device device() {
        ai.djl.Device d = device;
        return d != null ? d : Engine.getInstance().defaultDevice();
    }

    /** A base manager on {@link #device()}: every array made through it or its sub-managers lives there. */
    public static NDManager newBaseManager() {
        return NDManager.newBaseManager(device());
    }

    /**
     * A float32 tensor owned by libtorch (copied out of the Java buffer), safe to keep in an autograd graph
     * (docs/djl-notes.md §1: arrays that alias Java memory must not be freed before backward).
     */
    public static NDArray fromFloats(NDManager manager, float[] data, Shape shape) {
        try (NDArray javaBacked = manager.create(data, shape)) {
            return javaBacked.duplicate();
        }
    }

    /** An int64 tensor owned by libtorch. */
    public static NDArray fromLongs(NDManager manager, long[] data, Shape shape) {
        try (NDArray javaBacked = manager.create(data, shape)) {
            return javaBacked.duplicate();
        }
    }

    /**
     * Runs {@code body} with autograd recording off on this thread (torch.no_grad), so evaluation inside a
     * training run builds no graph through parameters that require gradients.
     */
    public static <T> T noGrad(java.util.function.Supplier<T> body) {
        boolean was = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(was);
        }
    }

    /** A float32 scalar owned by libtorch: use instead of every {@code add/mul/…(Number)} overload. */
    public static NDArray scalar(NDManager manager, double value) {
        return manager.full(new Shape(), (float) value, ai.djl.ndarray.types.DataType.FLOAT32);
    }
}
