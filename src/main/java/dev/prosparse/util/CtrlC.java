package dev.prosparse.util;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs a long job so that Ctrl-C (a JVM shutdown) stops it cleanly: while the job runs, a shutdown hook asks it to stop,
 * waits up to a bound for it to return, then runs a last clean-up; the hook is removed when the job returns.
 */
public final class CtrlC {
    private CtrlC() {
    }

    /**
     * Runs {@code job}; on Ctrl-C meanwhile, calls {@code requestStop}, waits up to {@code wait} for the job to return,
     * then calls {@code afterWait} (a clean-up for a job that did not stop in time; it also runs when the job did).
     */
    public static <T> T run(String name, Runnable requestStop, Duration wait, Runnable afterWait, Supplier<T> job) {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            requestStop.run();
            try {
                finished.await(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            afterWait.run();
        }, name);
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return job.get();
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook is running and returns now
            }
        }
    }
}
