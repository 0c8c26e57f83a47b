package dev.prosparse.util;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What the build stamped into the jar: the tool's version, quoted in outputs and sidecars. */
public final class BuildInfo {
    private BuildInfo() {}

    /** The version from {@code version.properties}, or {@code dev} when run from classes without it. */
    public static String version() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/prosparse/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }
}
