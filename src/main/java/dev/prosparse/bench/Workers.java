package dev.prosparse.bench;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fixed team of threads that shares a range out in small chunks: each thread (the caller is thread 0) claims the
 * next chunk until none is left, so a thread that the OS deschedules (another process on the cores) delays the call
 * by one chunk, not by half the work. The caller returns once every chunk is done, without waiting for a helper
 * that never got one to wake up. No thread is started per call.
 */
final class Workers implements AutoCloseable {
    /** Work on [from, to) of a range. */
    interface Part {
        /**
         * @param thread the running thread's number in [0, threads): one thread may run several chunks, two threads
         *               never run at once with the same number
         */
        void run(int thread, int from, int to);
    }

    private final int threads;
    private final ExecutorService pool;

    Workers(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "bench-ffn");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    int threads() {
        return threads;
    }

    /** Runs {@code part} over [0, n) in chunks of {@code chunk} (the last may be shorter). */
    void split(int n, int chunk, Part part) {
        int chunks = (n + chunk - 1) / chunk;
        if (pool == null || chunks < 2) {
            part.run(0, 0, n);
            return;
        }
        Call call = new Call(n, chunk, chunks, part);
        for (int t = 1; t < threads; t++) {
            int id = t;
            pool.execute(() -> call.work(id));
        }
        call.work(0);
        for (int spins = 0; call.done.get() < chunks && call.failure.get() == null; spins++) {
            if (spins < 1000) {
                Thread.onSpinWait();
            } else {
                Thread.yield();                              // a helper holds the last chunk: give it the core
            }
        }
        Throwable f = call.failure.get();
        if (f != null) {
            throw f instanceof RuntimeException re ? re : new IllegalStateException(f);
        }
    }

    /** One split's shared state; a helper that starts after the call returned finds no chunk left. */
    private static final class Call {
        final int n, chunk, chunks;
        final Part part;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Call(int n, int chunk, int chunks, Part part) {
            this.n = n;
            this.chunk = chunk;
            this.chunks = chunks;
            this.part = part;
        }

        void work(int thread) {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    part.run(thread, c * chunk, Math.min(n, (c + 1) * chunk));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                done.incrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
