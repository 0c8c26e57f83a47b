package dev.prosparse.train;

/** λ straight from the recipe's stage table (the ProSparse schedule of {@link L1Schedule}); stateless. */
public record ScheduledLambda(L1Schedule schedule) implements LambdaPolicy {
    @Override
    public double lambda(int t) {
        return schedule.lambda(t);
    }
}
