package dev.prosparse.train;

import dev.prosparse.util.CtrlC;
import java.time.Duration;

/**
 * Runs a {@link Trainer} as the {@code train} and {@code sparsify} commands do: Ctrl-C asks it to stop at its next step
 * (it saves and returns, docs/run-folder.md), and the test hook {@code -Dprosparse.stopAfterStep=N} stops it as
 * Ctrl-C would after step N.
 */
public final class StoppableTraining {
    private StoppableTraining() {
    }

    /** Runs {@code trainer} to its end or to a stop; the shutdown hook waits up to 10 minutes for the save. */
    public static Trainer.Result run(Trainer trainer) {
        Integer stopAfter = Integer.getInteger("prosparse.stopAfterStep");
        if (stopAfter != null) {
            trainer.requestStopAfter(stopAfter);
        }
        return CtrlC.run("prosparse-ctrl-c", trainer::requestStop, Duration.ofMinutes(10), () -> { }, trainer::run);
    }
}
