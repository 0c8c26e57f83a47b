package dev.prosparse;

import ai.djl.ndarray.NDManager;
import dev.prosparse.util.Torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the test classes that compute with libtorch: the engine started with 2 intra-op threads (pinned, so that
 * results and timings do not depend on the machine) and one base manager per test class, closed after it. Test
 * classes run one at a time in one JVM (surefire forkCount 1, no JUnit parallelism), so the one static field is safe.
 */
public abstract class TorchTestBase {
    protected static NDManager base;

    @BeforeAll
    static void startTorch() {
        Torch.start(2);
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeBase() {
        base.close();
    }
}
