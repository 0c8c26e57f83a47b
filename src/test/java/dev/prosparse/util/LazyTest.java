package dev.prosparse.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LazyTest {
    @Test
    void madeOnceOnFirstUse() {
        AtomicInteger made = new AtomicInteger();
        Lazy<Object> lazy = Lazy.of(() -> {
            made.incrementAndGet();
            return new Object();
        });
        assertEquals(0, made.get());
        Object first = lazy.get();
        assertSame(first, lazy.get());
        assertEquals(1, made.get());
    }

    @Test
    void aFailedMakeIsTriedAgain() {
        AtomicInteger calls = new AtomicInteger();
        Lazy<String> lazy = Lazy.of(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first try fails");
            }
            return "ok";
        });
        assertThrows(IllegalStateException.class, lazy::get);
        assertEquals("ok", lazy.get());
        assertEquals(2, calls.get());
    }
}
