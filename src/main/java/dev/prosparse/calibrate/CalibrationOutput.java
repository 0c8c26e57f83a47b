package dev.prosparse.calibrate;

import dev.prosparse.ProsparseException;
import dev.prosparse.train.Recipe;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Errors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What calibrate writes into {@code --out}: {@code calibration.md} and one recipe per reachable target. An existing
 * non-empty {@code --out} is refused unless {@code --force}; with it, calibrate's earlier outputs there (calibration.md
 * and the recipes it wrote, known by their header) are replaced, and other files are left alone.
 */
final class CalibrationOutput {
    static final String REPORT = "calibration.md";
    /** The second line of every recipe calibrate writes. */
    static final String MARK = "# Calibrated by prosparse calibrate";

    private final CalibrationRequest q;
    private final List<String> sets;
    private final Recipe base;

    CalibrationOutput(CalibrationRequest q, List<String> sets, Recipe base) {
        this.q = q;
        this.sets = sets;
        this.base = base;
    }

    /** Refuses a non-empty {@code --out} without {@code --force}, before any probe runs. */
    static void checkOut(Path out, boolean force) {
        if (force || !Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.list(out)) {
            if (s.findAny().isPresent()) {
                throw ProsparseException.usage("--out " + out + " already exists and is not empty; pass --force to replace"
                        + " calibrate's earlier outputs there (" + REPORT + " and its recipes), or choose another --out");
            }
        } catch (IOException e) {
            throw ProsparseException.io("Cannot list --out " + out + ": " + Errors.describe(e), e);
        }
    }

    /**
     * Writes the outputs of a judged fit and returns the files written. No target reachable: nothing is written and
     * the refusal is thrown (exit 2). Some targets unreachable: the others' recipes are written, then the missing ones
     * are thrown (exit 2), so that a script does not go on without them.
     */
    List<Path> write(Calibrator.Result r, FitVerdict v, String report, PrintStream out) {
        if (!v.anyRecipe()) {
            throw ProsparseException.usage("calibrate wrote no recipe: " + (v.refusal() != null ? v.refusal() : missing(v))
                    + "; nothing was written to --out " + q.out());
        }
        try {
            Files.createDirectories(q.out());
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create --out " + q.out() + ": " + Errors.describe(e), e);
        }
        List<Path> written = new ArrayList<>();
        Path md = q.out().resolve(REPORT);
        AtomicFiles.writeString(md, report);
        written.add(md);
        for (FitVerdict.TargetLambda t : v.targets()) {
            if (t.ok()) {
                Path f = q.out().resolve(CalibrationReport.fileName(q.config(), q.model(), t.target()));
                AtomicFiles.writeString(f, CalibrationReport.recipe(q.config(), sets, base, t.lambda(), t.target(), r, f));
                written.add(f);
                out.println("wrote " + f);
            }
        }
        removeStale(written);
        if (!v.missing().isEmpty()) {
            throw ProsparseException.usage("calibrate wrote " + (written.size() - 1) + " of " + v.targets().size()
                    + " recipes to " + q.out() + "; none for " + missing(v));
        }
        return written;
    }

    private static String missing(FitVerdict v) {
        return v.missing().stream().map(t -> Calibrator.num(100 * t.target()) + "%: " + t.why())
                .collect(Collectors.joining("; "));
    }

    /** Deletes recipes an earlier calibrate wrote into --out that this one did not write again. */
    private void removeStale(List<Path> written) {
        try (Stream<Path> s = Files.list(q.out())) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".yaml") && !written.contains(p)).toList()) {
                if (isCalibrated(p)) {
                    Files.delete(p);
                    System.err.println("removed the earlier calibrated recipe " + p);
                }
            }
        } catch (IOException e) {
            throw ProsparseException.io("Cannot clean earlier recipes from --out " + q.out() + ": " + Errors.describe(e), e);
        }
    }

    /** Whether a file's second line is the mark calibrate writes. */
    static boolean isCalibrated(Path p) {
        try (BufferedReader in = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            in.readLine();
            String second = in.readLine();
            return second != null && second.startsWith(MARK);
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
