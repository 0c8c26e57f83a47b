package dev.prosparse.convert;

import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.model.Weights;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/** Re-verification: the written checkpoint, re-opened, must be what was planned before it is committed. */
final class OutputCheck {
    private OutputCheck() {}

    /** Re-opens {@code dir} and checks it against the new config and the source's tensor names. */
    static void verify(Path dir, ModelConfig target, Set<String> sourceNames) {
        ModelConfig reread = ModelConfig.read(dir);
        try (CheckpointFiles out = CheckpointFiles.open(dir)) {
            Weights.validate(reread, out, dir.toString());
            Set<String> got = new HashSet<>(out.names());
            if (!got.equals(new HashSet<>(sourceNames))) {
                Set<String> missing = new TreeSet<>(sourceNames);
                missing.removeAll(got);
                throw new IllegalStateException("converted checkpoint lost tensors " + missing);
            }
        }
        if (!reread.raw().equals(target.raw())) {
            throw new IllegalStateException("config.json was not written as planned");
        }
    }
}
