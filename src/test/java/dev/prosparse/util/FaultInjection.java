package dev.prosparse.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Simulated disk faults for tests (training saves, conversion, writers): every file written through
 * {@link AtomicFiles} whose target path matches gets a channel that fails with "No space left on device" once
 * {@code budget} bytes have been written to it. It lives in {@code util} because the seam it sets
 * ({@code AtomicFiles.faults}) is package-private: production code cannot reach it.
 */
public final class FaultInjection implements AutoCloseable {

    private final AtomicInteger hits = new AtomicInteger();

    private FaultInjection(Predicate<Path> which, long budget) {
        AtomicFiles.faults = (target, out) -> {
            if (!which.test(target)) {
                return out;
            }
            hits.incrementAndGet();
            return new DiskFullChannel(out, budget);
        };
    }

    /** Installs the fault until {@link #close()}; only one may be active at a time. */
    public static FaultInjection diskFullAfter(long budget, Predicate<Path> which) {
        if (AtomicFiles.faults != null) {
            throw new IllegalStateException("a fault is already installed");
        }
        return new FaultInjection(which, budget);
    }

    /** How many files were written through a failing channel. */
    public int hits() {
        return hits.get();
    }

    @Override
    public void close() {
        AtomicFiles.faults = null;
    }

    /** A channel whose disk fills up after {@code budget} bytes. */
    public static final class DiskFullChannel implements WritableByteChannel {
        private final WritableByteChannel out;
        private long budget;

        public DiskFullChannel(WritableByteChannel out, long budget) {
            this.out = out;
            this.budget = budget;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (budget <= 0) {
                throw new IOException("No space left on device");
            }
            ByteBuffer part = src.slice();
            part.limit((int) Math.min(part.remaining(), budget));
            int n = out.write(part);
            src.position(src.position() + n);
            budget -= n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
