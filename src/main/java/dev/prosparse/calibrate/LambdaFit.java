package dev.prosparse.calibrate;

import java.util.List;
import java.util.Locale;

/**
 * Sparsity as a function of λ, fitted to probe runs (docs/calibration.md). Two laws:
 * <ul>
 *   <li>{@link Law#PAPER}: s = 100 − exp(a·λ^b + c) in percent, the ProSparse paper's law (it reports a = −1.76,
 *       b = 0.30, c = 3.49 for LLaMA2-7B); fitted as ln(100 − s) = a·λ^b + c, least squares in (a, c) for each b on a
 *       log grid, then the best b.</li>
 *   <li>{@link Law#POWER}: density 1 − s = A·λ^β (a straight line in log-log), two parameters; the law the
 *       target-sparsity controller assumes.</li>
 * </ul>
 */
public record LambdaFit(Law law, double a, double b, double c, double rmsPoints) {

    public enum Law { PAPER, POWER }

    /** One measurement: λ and the sparsity it gave (a fraction). */
    public record Point(double lambda, double sparsity) {}

    /** Predicted sparsity (a fraction) at λ. */
    public double sparsity(double lambda) {
        if (law == Law.PAPER) {
            return (100 - Math.exp(a * Math.pow(lambda, b) + c)) / 100;
        }
        return 1 - Math.exp(a + b * Math.log(lambda));
    }

    /** λ that the fit says gives sparsity s (a fraction); NaN when the law cannot reach s. */
    public double lambdaFor(double s) {
        if (law == Law.PAPER) {
            double x = (Math.log(100 - 100 * s) - c) / a;
            return x > 0 ? Math.pow(x, 1 / b) : Double.NaN;
        }
        return b < 0 ? Math.exp((Math.log(1 - s) - a) / b) : Double.NaN;
    }

    /** The fitted formula, for logs. */
    public String formula() {
        if (law == Law.PAPER) {
            return String.format(Locale.ROOT, "sparsity%% = 100 − exp(%.4g·λ^%.4g + %.4g)", a, b, c);
        }
        return String.format(Locale.ROOT, "1 − sparsity = %.4g·λ^%.4g", Math.exp(a), b);
    }

    /** The least-squares fit of {@code law} to the points (λ > 0, 0 < s < 1; at least 3 for PAPER, 2 for POWER). */
    public static LambdaFit fit(Law law, List<Point> points) {
        int min = law == Law.PAPER ? 3 : 2;
        if (points.size() < min) {
            throw new IllegalArgumentException(law + " needs at least " + min + " points, got " + points.size());
        }
        double[] lam = points.stream().mapToDouble(Point::lambda).toArray();
        LambdaFit best = null;
        if (law == Law.POWER) {
            double[] x = new double[lam.length], y = new double[lam.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.log(lam[i]);
                y[i] = Math.log(1 - points.get(i).sparsity());
            }
            double[] ab = line(x, y);
            best = new LambdaFit(Law.POWER, ab[0], ab[1], 0, 0);
        } else {
            double[] y = points.stream().mapToDouble(p -> Math.log(100 - 100 * p.sparsity())).toArray();
            double bestSse = Double.POSITIVE_INFINITY;
            for (int k = 0; k <= 400; k++) {
                double b = Math.exp(Math.log(0.01) + k * (Math.log(3.0) - Math.log(0.01)) / 400);
                double[] x = new double[lam.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.pow(lam[i], b);
                }
                double[] ca = line(x, y);
                double sse = 0;
                for (int i = 0; i < x.length; i++) {
                    double r = y[i] - (ca[0] + ca[1] * x[i]);
                    sse += r * r;
                }
                if (sse < bestSse) {
                    bestSse = sse;
                    best = new LambdaFit(Law.PAPER, ca[1], b, ca[0], 0);
                }
            }
        }
        return best.withRms(points);
    }

    private LambdaFit withRms(List<Point> points) {
        return new LambdaFit(law, a, b, c, rmsPoints(points));
    }

    /** Root-mean-square error of the predicted sparsity over the points, in percentage points. */
    public double rmsPoints(List<Point> points) {
        double s = 0;
        for (Point p : points) {
            double e = 100 * (sparsity(p.lambda()) - p.sparsity());
            s += e * e;
        }
        return Math.sqrt(s / points.size());
    }

    /** Largest absolute error over the points, in percentage points. */
    public double maxErrorPoints(List<Point> points) {
        return points.stream().mapToDouble(p -> Math.abs(100 * (sparsity(p.lambda()) - p.sparsity()))).max().orElse(0);
    }

    /** Ordinary least squares y = c0 + c1·x: {c0, c1}. */
    private static double[] line(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
        double slope = sxx > 0 ? sxy / sxx : 0;
        return new double[] {my - slope * mx, slope};
    }
}
