package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.Torch;
import picocli.CommandLine.Option;

/** {@code --threads}: the same flag and default (0 = all cores, or a recipe's threads key) in every command. */
final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "CPU threads for libtorch and Java kernels (0 = all cores; train and calibrate: the recipe's threads key, 0 there = all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    /** The count given, 0 meaning as above; a negative count is refused. */
    int value() {
        if (threads < 0) {
            throw ProsparseException.usage("--threads " + threads + ": must be ≥ 0 (0 = all cores), for example --threads 4");
        }
        return threads;
    }

    /** The count with 0 made concrete: every core. */
    int orAllCores() {
        return Torch.threads(value());
    }
}
