package dev.prosparse.convert;

import dev.prosparse.config.Activation;
import java.nio.file.Path;

/**
 * A conversion that pauses after each file, run in a child JVM by {@link ConvertInterruptTest} so that it can
 * be stopped with a signal half-way.
 */
public final class InterruptChild {
    private InterruptChild() {}

    public static void main(String[] args) throws Exception {
        new Converter().withListener((name, bytes) -> {
            System.out.println("WROTE " + name);
            System.out.flush();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).convert(ConvertRequest.of(Path.of(args[0]), Path.of(args[1]), Activation.RELU, null));
        System.out.println("DONE");
    }
}
