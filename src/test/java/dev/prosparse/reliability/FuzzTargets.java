package dev.prosparse.reliability;

import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.DType;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.SafetensorsIndex;
import dev.prosparse.io.TensorInfo;
import dev.prosparse.config.Activation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Assertions;

/**
 * The fuzz targets of the three parsers, shared by {@link ParserFuzzTest} (Jazzer) and the bad-input table.
 * The oracle: every input either loads — and then everything the rest of the tool does with it works — or
 * fails with a {@link ProsparseException} whose message is one line of bounded length. Anything else
 * (ArrayIndexOutOfBounds, OutOfMemoryError, NumberFormatException, a hang caught by the per-input timeout)
 * escapes and is a finding.
 */
final class FuzzTargets {

    /** Longest acceptable error message (the temporary path in it is about 60 characters). */
    static final int MAX_MESSAGE = 1000;

    /** Inputs run per target in this JVM (regression replays and fuzzing alike), and a digest of them. */
    static final Map<String, Tally> EXECUTED = new TreeMap<>();

    static final String SHARD1 = "model-00001-of-00002.safetensors";
    static final String SHARD2 = "model-00002-of-00002.safetensors";

    private static Path work;

    private FuzzTargets() {
    }

    // ---- targets ----------------------------------------------------------------------------------

    /** Raw bytes as a {@code model.safetensors}: open it and read every tensor. */
    static void safetensors(byte[] data) {
        count("safetensors", data);
        Path file = write("st/model.safetensors", data);
        loadsOrFailsCleanly(() -> readEverything(file));
    }

    /** A safetensors file assembled from edge values (header lengths, offsets, shapes, dtypes, names). */
    static void safetensorsStructured(byte[] data) {
        count("safetensorsStructured", data);
        Path file = write("sts/model.safetensors", StructuredSafetensors.build(new ByteSource(data)));
        loadsOrFailsCleanly(() -> readEverything(file));
    }

    /** Raw bytes as {@code model.safetensors.index.json} beside two valid shards: open the checkpoint, read it all. */
    static void index(byte[] data) {
        count("index", data);
        Path dir = shardedDir();
        Path file = write("idx/" + SafetensorsIndex.FILE_NAME, data);
        loadsOrFailsCleanly(() -> {
            SafetensorsIndex index = SafetensorsIndex.read(file);
            index.shardNames();
            index.totalSize();
            // the bytes write() writes, through a plain write: AtomicFiles' random temporary names would reach the
            // fuzzer's file-path hooks and make runs with one seed differ (its atomicity is tested elsewhere)
            Path copy = write("idx/copy.json", index.toJson());
            check(SafetensorsIndex.read(copy).weightMap().equals(index.weightMap()), "index rewrite changed the weight map");
            try (CheckpointFiles files = CheckpointFiles.open(dir)) {
                for (String name : files.names()) {
                    TensorInfo t = files.info(name);
                    check(files.readFloat32(name).length == t.numel(), "read length of " + name);
                }
                files.totalBytes();
            }
        });
    }

    /** Raw bytes as {@code config.json}: read it, swap the activation, write and re-read it. */
    static void config(byte[] data) {
        count("config", data);
        Path file = write("cfg/config.json", data);
        loadsOrFailsCleanly(() -> {
            ModelConfig c = ModelConfig.read(file.getParent());
            check(c.hiddenSize() > 0 && c.numHiddenLayers() > 0 && c.vocabSize() > 0 && c.headDim() > 0,
                    "non-positive size in " + c);
            check(c.numAttentionHeads() % c.numKeyValueHeads() == 0, "heads not a multiple of kv heads");
            check(Double.isFinite(c.rmsNormEps()) && c.rmsNormEps() > 0, "rms_norm_eps " + c.rmsNormEps());
            check(Double.isFinite(c.ropeTheta()) && c.ropeTheta() > 0, "rope_theta " + c.ropeTheta());
            check(Double.isFinite(c.residualScale()) && Double.isFinite(c.logitDivisor())
                    && Double.isFinite(c.embeddingScale()), "non-finite MiniCPM scale");
            for (ModelConfig swapped : List.of(c.withActivation(Activation.RELU, 0), c.withActivation(Activation.FATRELU, 0.01),
                    c.withDtype("bfloat16"))) {
                ModelConfig back = ModelConfig.parse(swapped.toJson(), "rewritten config.json");
                check(back.raw().equals(swapped.raw()), "config.json does not survive a rewrite: " + swapped.toJson());
            }
        });
    }

    // ---- oracle -----------------------------------------------------------------------------------

    /** Per-input time limit when replaying a corpus; while fuzzing, libFuzzer's -timeout does this job. */
    static final Duration INPUT_TIMEOUT = Duration.ofSeconds(10);

    static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null || System.getProperty("JAZZER_FUZZ") != null;

    /** Runs one input; outside fuzzing, fails if it takes longer than {@link #INPUT_TIMEOUT} (a hang). */
    static void withTimeout(Runnable input) {
        if (FUZZING) {
            input.run();
        } else {
            Assertions.assertTimeoutPreemptively(INPUT_TIMEOUT, input::run, "input hangs");
        }
    }

    /** Runs {@code body}; a ProsparseException must carry a one-line message naming the problem. */
    static void loadsOrFailsCleanly(Runnable body) {
        try {
            body.run();
        } catch (ProsparseException e) {
            checkMessage(e);
        }
    }

    static void checkMessage(ProsparseException e) {
        String m = e.getMessage();
        check(m != null && !m.isBlank(), "ProsparseException without a message", e);
        check(m.length() <= MAX_MESSAGE, "message of " + m.length() + " characters: "
                + m.substring(0, Math.min(m.length(), 200)) + "...", e);
        check(m.indexOf('\n') < 0 && m.indexOf('\r') < 0, "multi-line message: " + m, e);
        check(e.kind() == ProsparseException.Kind.CHECKPOINT || e.kind() == ProsparseException.Kind.USAGE,
                "a malformed file is reported as " + e.kind() + ": " + m, e);
    }

    static void check(boolean ok, String what) {
        check(ok, what, null);
    }

    private static void check(boolean ok, String what, Throwable cause) {
        if (!ok) {
            throw new AssertionError(what, cause);
        }
    }

    /** Opens the file and reads every tensor the way conversion and training do. */
    static void readEverything(Path file) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            st.metadata().forEach((k, v) -> check(k != null && v != null, "null metadata"));
            long sink = 0;
            for (TensorInfo t : st.tensors()) {
                check(st.info(t.name()).equals(t), "lookup of " + t.name());
                if (t.dtype().isFloating()) {
                    check(st.readFloat32(t.name()).length == t.numel(), "float read length of " + t.name());
                } else if (t.dtype() == DType.I64 || t.dtype() == DType.I32) {
                    check(st.readInt64(t.name()).length == t.numel(), "long read length of " + t.name());
                }
                Counting out = new Counting();
                st.copyRaw(t.name(), out);
                check(out.count == t.byteLength(), "copied " + out.count + " bytes of " + t.name());
                sink += out.count;
            }
            check(sink <= Files.size(file), "tensors span more bytes than the file has");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- scratch files ----------------------------------------------------------------------------

    static synchronized Path work() {
        String fixed = System.getProperty("prosparse.fuzz.scratch");
        if (work == null && fixed != null) {
            // scripts/fuzz-ci.sh: a fixed, relative folder. File paths reach the fuzzer (Jazzer's file-path hooks
            // compare them, and the compared strings feed its mutations), so a random temporary name would make
            // two runs with the same seed execute different inputs.
            work = Path.of(fixed);
            try {
                if (Files.exists(work)) {
                    deleteTree(work);
                }
                Files.createDirectories(work);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (work == null) {
            try {
                // tmpfs where there is one: every input is written to a file and opened, as the tool does
                Path shm = Path.of("/dev/shm");
                work = Files.isDirectory(shm) && Files.isWritable(shm)
                        ? Files.createTempDirectory(shm, "prosparse-fuzz-") : Files.createTempDirectory("prosparse-fuzz-");
                Path dir = work;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return work;
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }

    static Path write(String relative, byte[] data) {
        Path p = work().resolve(relative);
        try {
            Files.createDirectories(p.getParent());
            return Files.write(p, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The folder of the index target: two valid shards ("x", "y" in the first, "z" in the second). */
    private static synchronized Path shardedDir() {
        Path dir = work().resolve("idx");
        if (!Files.isRegularFile(dir.resolve(SHARD2))) {
            // built by hand and written plainly, not with SafetensorsWriter: see the note in index()
            write("idx/" + SHARD1, safetensors("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    + "\"y\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]}}",
                    ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2)
                            .putShort((short) 0x4040).array())); // bf16 0x4040 = 3.0
            write("idx/" + SHARD2, safetensors("{\"z\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}",
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x4400) // f16 4.0
                            .putShort((short) 0x4500).putShort((short) 0x4600).putShort((short) 0x4700).array())); // 5, 6, 7
        }
        return dir;
    }

    /** A safetensors file: 8-byte little-endian header length, the header, the data. */
    private static byte[] safetensors(String header, byte[] data) {
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    private static void count(String target, byte[] data) {
        synchronized (EXECUTED) {
            EXECUTED.computeIfAbsent(target, k -> new Tally()).add(data);
        }
    }

    /**
     * How many inputs a target ran and a digest of all of them in order: two fuzzing runs with the same seed
     * and count that print the same digest executed the same inputs (scripts/fuzz-ci.sh prints it).
     */
    static final class Tally {
        private long count;
        private final MessageDigest digest;

        Tally() {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        synchronized void add(byte[] data) {
            count++;
            digest.update(ByteBuffer.allocate(Integer.BYTES).putInt(data.length).array());
            digest.update(data);
        }

        synchronized long count() {
            return count;
        }

        /** The first 16 hex digits of the running digest (the digest itself carries on). */
        synchronized String digest() {
            try {
                return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest()).substring(0, 16);
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A sink that counts bytes. */
    private static final class Counting implements WritableByteChannel {
        long count;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            count += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
