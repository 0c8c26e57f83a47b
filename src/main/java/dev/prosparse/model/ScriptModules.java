package dev.prosparse.model;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import dev.prosparse.ProsparseException;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/** Loads a module written by {@link TorchScriptArchive} into this process's libtorch (docs/gpu.md). */
public final class ScriptModules {
    private ScriptModules() {
    }

    /**
     * The module {@code className} with {@code forward} (see {@link TorchScriptArchive#write}), loaded with
     * {@code manager}. If libtorch refuses it: an IO error "could not load WHAT into libtorch V: why. INSTEAD".
     *
     * @param what    what failed to load, for the error (e.g. "PyTorch's fused attention (...)")
     * @param instead the way around it, naming the flag or key (e.g. "Train with ...: --set attention=eager")
     */
    public static PtSymbolBlock load(NDManager manager, String name, String className, String forward, String what,
            String instead) {
        byte[] archive = TorchScriptArchive.write(name, className, forward);
        try {
            return JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive), true, false);
        } catch (IOException | RuntimeException e) {
            throw new ProsparseException(ProsparseException.Kind.IO, "could not load " + what + " into libtorch "
                    + ai.djl.engine.Engine.getInstance().getVersion() + ": " + e.getMessage() + ". " + instead, e);
        }
    }
}
