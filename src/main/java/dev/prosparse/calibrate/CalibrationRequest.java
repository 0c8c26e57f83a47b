package dev.prosparse.calibrate;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code prosparse calibrate} was asked, flag by flag; a null flag takes its default from the recipe
 * ({@link ProbeDefaults}).
 *
 * @param config  the recipe whose stage table is calibrated; null: the built-in demo recipe
 * @param data    training and evaluation text for the probes; null: the recipe's
 * @param device  where the probes run; null: the recipe's (never written into the recipes)
 * @param threads libtorch threads, 0: the recipe's
 * @param force   replace calibrate's earlier outputs in {@code out}
 */
public record CalibrationRequest(String model, String data, List<Double> targets, Path config, List<Double> lambdas,
        List<Integer> heldOut, Integer steps, Integer batch, Integer seqLen, int windows, Path out, boolean force, int threads,
        String device) {}
