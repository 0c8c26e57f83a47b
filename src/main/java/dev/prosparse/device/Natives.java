package dev.prosparse.device;

import java.util.Locale;

/** What the running libtorch is and where it came from, for `prosparse doctor` and error lines. */
public final class Natives {
    private Natives() {}

    /** "cpu", "cu128", … : the flavour DJL loaded (PYTORCH_FLAVOR when set, else read off the library path). */
    public static String flavour() {
        String env = System.getenv("PYTORCH_FLAVOR");
        if (env != null && !env.isBlank()) {
            return env;
        }
        String path = libtorchPath().toLowerCase(Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-(cu\\d+|cpu(-precxx11)?)-").matcher(path);
        return m.find() ? m.group(1) : (path.contains("cu") ? "cuda" : "cpu");
    }

    /** The folder libtorch was loaded from ("?" before the engine has started or when DJL does not say). */
    public static String libtorchPath() {
        try {
            String p = ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
            return p == null ? "?" : p;
        } catch (RuntimeException | LinkageError e) {
            return "?";
        }
    }
}
