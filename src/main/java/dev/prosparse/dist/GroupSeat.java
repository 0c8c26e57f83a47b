package dev.prosparse.dist;

import java.time.Duration;

/** What every {@link Collectives} backend knows of its place in the group: its rank, the world size, the timeout. */
abstract class GroupSeat implements Collectives {
    protected final int rank;
    protected final int world;
    protected final Duration timeout;

    GroupSeat(int rank, int world, Duration timeout) {
        this.rank = rank;
        this.world = world;
        this.timeout = timeout;
    }

    @Override
    public final int rank() {
        return rank;
    }

    @Override
    public final int worldSize() {
        return world;
    }

    @Override
    public final Duration timeout() {
        return timeout;
    }
}
