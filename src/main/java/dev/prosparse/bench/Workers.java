package dev.prosparse.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** A fixed team of threads that splits a range into one contiguous part per thread; the caller runs part 0. */
final class Workers implements AutoCloseable {
    /** Work on [from, to) of a range. */
    interface Part {
        /** @param part the slice's number in [0, threads): part 0 runs on the caller's thread */
        void run(int part, int from, int to);
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

    /** Runs {@code part} over [0, n) in {@link #threads()} contiguous slices, {@code align} divides the slice edges. */
    void split(int n, int align, Part part) {
        if (pool == null || n < 2 * align) {
            part.run(0, 0, n);
            return;
        }
        int step = ((n + threads - 1) / threads + align - 1) / align * align;
        List<Future<?>> futures = new ArrayList<>(threads - 1);
        for (int t = 1; t < threads; t++) {
            int from = Math.min(n, t * step), to = Math.min(n, from + step);
            if (from < to) {
                int p = t;
                futures.add(pool.submit(() -> part.run(p, from, to)));
            }
        }
        part.run(0, 0, Math.min(n, step));
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
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
