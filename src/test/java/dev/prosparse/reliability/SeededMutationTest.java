package dev.prosparse.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CI's fuzz budget: every parser target of {@link FuzzTargets} on {@value #INPUTS} inputs made from its replay corpus
 * ({@code src/test/resources/fuzz/<target>/}) by seeded mutations — bit flips, edge bytes, edge 64-bit lengths written
 * at any offset, long or negative numbers in place of digits, inserted, deleted and duplicated ranges, truncation, and
 * splices of two corpus files. The oracle is the fuzz targets' own: load, or fail with one clean
 * {@code ProsparseException} line, within 10 s.
 *
 * <p>No coverage feedback: the inputs depend on the seed and the corpus only, so the verdict is the same on every run
 * and machine. Jazzer's coverage-guided runs ({@code scripts/fuzz-ci.sh}, {@code scripts/fuzz-long.sh}) find more, but
 * with one seed and one commit they execute different inputs from run to run (measured: different input digests for
 * the same commit, folder and seed), so they run outside CI and feed their findings into the corpus.
 */
class SeededMutationTest {
    static final int INPUTS = 5000;
    static final long SEED = 1;

    private static final Map<String, Consumer<byte[]>> TARGETS = Map.of(
            "safetensors", FuzzTargets::safetensors,
            "safetensorsStructured", FuzzTargets::safetensorsStructured,
            "index", FuzzTargets::index,
            "config", FuzzTargets::config);

    @ParameterizedTest
    @ValueSource(strings = {"safetensors", "safetensorsStructured", "index", "config"})
    void parsersLoadOrFailCleanlyOnMutatedCorpus(String target) {
        List<byte[]> corpus = corpus(target);
        Consumer<byte[]> run = TARGETS.get(target);
        SplittableRandom rnd = new SplittableRandom(SEED + target.hashCode());
        for (int i = 0; i < INPUTS; i++) {
            byte[] input = mutant(corpus, rnd);
            int n = i;
            try {
                FuzzTargets.withTimeout(() -> run.accept(input));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(target + " input " + n + " (seed " + SEED + "; " + input.length
                        + " bytes, starting " + printable(input) + "): " + e.getMessage(), e);
            }
        }
    }

    /** The same seed gives the same inputs (what makes this budget deterministic), and another seed other ones. */
    @Test
    void mutantsDependOnlyOnTheSeedAndTheCorpus() {
        List<byte[]> corpus = corpus("config");
        SplittableRandom a = new SplittableRandom(7), b = new SplittableRandom(7), c = new SplittableRandom(8);
        int differ = 0;
        for (int i = 0; i < 200; i++) {
            byte[] x = mutant(corpus, a);
            assertArrayEquals(x, mutant(corpus, b), "input " + i);
            differ += Arrays.equals(x, mutant(corpus, c)) ? 0 : 1;
        }
        assertTrue(differ > 150, "another seed should give other inputs; differed " + differ + " of 200");
    }

    static List<byte[]> corpus(String target) {
        List<byte[]> out = new ArrayList<>();
        for (Path p : ParserFuzzTest.corpusFiles(target)) {
            try {
                out.add(Files.readAllBytes(p));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out;
    }

    private static final int[] EDGE_BYTES = {0, 1, 0x7F, 0x80, 0xFF, '"', '{', '}', '[', ']', ',', ':', '-', '9', '\\', '\n'};
    private static final long[] EDGE_LONGS = {0, 1, -1, 7, 8, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 31, 1L << 32,
        (1L << 32) - 1, 100_000_000, 100_000_001};
    private static final String[] EDGE_NUMBERS = {"-1", "0", "1e999", "-0", "2147483648", "9223372036854775808",
        "99999999999999999999999999", "0.5", "NaN", "1e-400"};

    /** One corpus file (or a splice of two), mutated one to four times. */
    static byte[] mutant(List<byte[]> corpus, SplittableRandom r) {
        byte[] d = corpus.get(r.nextInt(corpus.size())).clone();
        int steps = 1 + r.nextInt(4);
        for (int s = 0; s < steps; s++) {
            d = mutate(d, corpus, r);
        }
        return d;
    }

    private static byte[] mutate(byte[] d, List<byte[]> corpus, SplittableRandom r) {
        int len = d.length;
        switch (r.nextInt(9)) {
            case 0: // flip one bit
                if (len > 0) {
                    d[r.nextInt(len)] ^= (byte) (1 << r.nextInt(8));
                }
                return d;
            case 1: // an edge byte
                if (len > 0) {
                    d[r.nextInt(len)] = (byte) EDGE_BYTES[r.nextInt(EDGE_BYTES.length)];
                }
                return d;
            case 2: { // an edge 64-bit little-endian value (safetensors' header length sits at offset 0)
                if (len < 8) {
                    return d;
                }
                long v = EDGE_LONGS[r.nextInt(EDGE_LONGS.length)];
                int at = r.nextInt(4) == 0 ? 0 : r.nextInt(len - 7);
                for (int i = 0; i < 8; i++) {
                    d[at + i] = (byte) (v >>> (8 * i));
                }
                return d;
            }
            case 3: { // a number in place of a digit
                int at = digitAt(d, r);
                if (at < 0) {
                    return d;
                }
                byte[] num = EDGE_NUMBERS[r.nextInt(EDGE_NUMBERS.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                return splice(d, at, at + 1, num);
            }
            case 4: { // insert 1–16 random bytes
                byte[] ins = new byte[1 + r.nextInt(16)];
                for (int i = 0; i < ins.length; i++) {
                    ins[i] = (byte) r.nextInt(256);
                }
                int at = r.nextInt(len + 1);
                return splice(d, at, at, ins);
            }
            case 5: { // delete a range
                if (len == 0) {
                    return d;
                }
                int from = r.nextInt(len), to = Math.min(len, from + 1 + r.nextInt(Math.max(1, len / 8)));
                return splice(d, from, to, new byte[0]);
            }
            case 6: { // duplicate a range elsewhere
                if (len == 0) {
                    return d;
                }
                int from = r.nextInt(len), to = Math.min(len, from + 1 + r.nextInt(64));
                int at = r.nextInt(len + 1);
                return splice(d, at, at, Arrays.copyOfRange(d, from, to));
            }
            case 7: // truncate
                return Arrays.copyOf(d, r.nextInt(len + 1));
            default: { // the start of this input and the end of another corpus file
                byte[] other = corpus.get(r.nextInt(corpus.size()));
                int cut = r.nextInt(len + 1), from = r.nextInt(other.length + 1);
                return splice(Arrays.copyOf(d, cut), cut, cut, Arrays.copyOfRange(other, from, other.length));
            }
        }
    }

    private static int digitAt(byte[] d, SplittableRandom r) {
        if (d.length == 0) {
            return -1;
        }
        int start = r.nextInt(d.length);
        for (int k = 0; k < d.length; k++) {
            int i = (start + k) % d.length;
            if (d[i] >= '0' && d[i] <= '9') {
                return i;
            }
        }
        return -1;
    }

    private static byte[] splice(byte[] d, int from, int to, byte[] ins) {
        byte[] out = new byte[d.length - (to - from) + ins.length];
        System.arraycopy(d, 0, out, 0, from);
        System.arraycopy(ins, 0, out, from, ins.length);
        System.arraycopy(d, to, out, from + ins.length, d.length - to);
        return out;
    }

    private static String printable(byte[] d) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(40, d.length); i++) {
            int c = d[i] & 0xFF;
            b.append(c >= 32 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return b.toString();
    }
}
