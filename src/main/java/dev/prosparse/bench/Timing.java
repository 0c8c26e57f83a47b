package dev.prosparse.bench;

import java.util.Arrays;

/** Repeated timings of one variant in milliseconds: wall clock (median and spread) and mean process CPU time. */
record Timing(double[] ms, double cpuMeanMs) {

    double median() {
        return quantile(0.5);
    }

    double min() {
        return quantile(0);
    }

    double max() {
        return quantile(1);
    }

    double quantile(double q) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
