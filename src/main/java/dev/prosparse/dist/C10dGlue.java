package dev.prosparse.dist;

import ai.djl.engine.Engine;
import dev.prosparse.ProsparseException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds and loads the c10d JNI glue library ({@code libprosparse_c10d.so}, built by scripts/build-c10d-glue.sh against
 * one libtorch version) and checks that it was built for the libtorch DJL runs on. Where: the system property
 * {@code prosparse.c10d.glue}, else the environment variable {@code PROSPARSE_C10D_GLUE}, else
 * {@code <prosparse.home>/target/native/libprosparse_c10d.so}. A missing library or one built for another libtorch is
 * one error that names the script.
 */
public final class C10dGlue {
    static final String SCRIPT = "scripts/build-c10d-glue.sh";
    private static Path loaded;
    private static String version;
    private static String backends;

    private C10dGlue() {}

    /** Where the glue is looked for. */
    public static Path path() {
        String p = System.getProperty("prosparse.c10d.glue");
        if (p == null || p.isBlank()) {
            p = System.getenv("PROSPARSE_C10D_GLUE");
        }
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        return Path.of(System.getProperty("prosparse.home", ".")).resolve("target/native/libprosparse_c10d.so");
    }

    /** Loads the glue once (after the engine, so that DJL's libtorch is the one it binds to). */
    public static synchronized void load() {
        if (loaded != null) {
            return;
        }
        String running = Engine.getEngine("PyTorch").getVersion();
        Path p = path().toAbsolutePath();
        if (!Files.isRegularFile(p)) {
            throw ProsparseException.usage("distributed training needs the c10d glue library, and " + p + " does not exist:"
                    + " build it against this libtorch (" + running + ") with `bash " + SCRIPT + "` on a machine with that"
                    + " torch installed, or point PROSPARSE_C10D_GLUE at it (docs/distributed.md)");
        }
        try {
            System.load(p.toString());
        } catch (UnsatisfiedLinkError e) {
            throw ProsparseException.usage("the c10d glue library " + p + " does not load into this libtorch (" + running
                    + "): " + e.getMessage() + ". It was built for another libtorch; rebuild it with `bash " + SCRIPT
                    + "` against the torch that DJL uses here (docs/distributed.md)");
        }
        String built = NativeCollectives.nativeTorchVersion();
        if (!sameRelease(built, running)) {
            throw ProsparseException.usage("the c10d glue library " + p + " was built for libtorch " + built + ", but DJL"
                    + " runs libtorch " + running + " here: rebuild it with `bash " + SCRIPT + "` against this torch"
                    + " (docs/distributed.md)");
        }
        version = built;
        backends = NativeCollectives.nativeBackends();
        loaded = p;
    }

    static String torchVersion() {
        return version;
    }

    static String backends() {
        return backends;
    }

    /** "2.11.0" and "2.11.0+cu130" are the same release; "2.7.1" and "2.11.0" are not. */
    static boolean sameRelease(String built, String running) {
        return strip(built).equals(strip(running));
    }

    private static String strip(String v) {
        int plus = v.indexOf('+');
        return (plus < 0 ? v : v.substring(0, plus)).trim();
    }
}
