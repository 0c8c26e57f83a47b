package dev.prosparse.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.cli.CalibrateCommand;
import dev.prosparse.cli.TrainCommand;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.DType;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.SafetensorsWriter;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import dev.prosparse.train.L1Schedule;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.TargetSparsityController;
import dev.prosparse.util.FaultInjection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The table of bad inputs in {@code docs/bad-inputs.md}: every row is run here, and the document must equal
 * what this test generates (the exact message, with the temporary folder shown as {@code <dir>}). After a
 * deliberate change of a message, regenerate the document with
 * {@code mvn test -Dtest=BadInputCatalogTest -Dprosparse.updateDocs=true}.
 */
class BadInputCatalogTest {

    static final Path DOC = Fixtures.repo().resolve("docs/bad-inputs.md");

    @TempDir
    Path dir;

    /** Exit codes by what went wrong (ProsparseException's contract, written out here, not read from it). */
    static final int USAGE = 2;
    static final int CHECKPOINT = 3;
    static final int IO = 5;

    /**
     * One row: what is wrong, the exit code it must give — decided here from the kind of problem (a flaw in a
     * checkpoint file or folder is 3, a failed write is 5), never copied from the tool's output — and how to
     * make the tool meet it. {@code bug}, when set, names a known deviation: the tool exits {@code today}
     * instead, and the row says so until it is fixed (then this test fails and the mark must go).
     */
    record Case(String area, String input, int exit, Consumer<Path> run, KnownBug bug) {
        Case(String area, String input, int exit, Consumer<Path> run) {
            this(area, input, exit, run, null);
        }
    }

    record KnownBug(int today, String why) {
    }

    /**
     * A problem that is not an error: the run goes on (exit 0) and the log says it once per occurrence, at WARN, on one
     * line. {@code run} provokes it; {@code logger} is the class that logs it.
     */
    record Warn(String area, String input, Class<?> logger, Runnable run) {
        String firstWarning() {
            Logger log = (Logger) LoggerFactory.getLogger(logger);
            ListAppender<ILoggingEvent> seen = new ListAppender<>();
            seen.start();
            log.addAppender(seen);
            log.setAdditive(false);  // captured here, not printed
            try {
                run.run();
            } finally {
                log.setAdditive(true);
                log.detachAppender(seen);
            }
            return seen.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                    .findFirst().orElseThrow(() -> new AssertionError(input + ": no warning logged"));
        }
    }

    @Test
    void everyBadInputGetsOneClearLineAndTheDocumentSaysSo() throws IOException {
        StringBuilder doc = new StringBuilder();
        doc.append("# Bad inputs and what prosparse says\n\n")
                .append("Every row below is a test case of `BadInputCatalogTest`: the input is built, the tool reads it,\n")
                .append("and the message must be exactly the one shown (`<dir>` is the folder the test used). The exit code\n")
                .append("is the process status of the CLI (2 usage, 3 checkpoint format, 5 I/O); each row's code is written\n")
                .append("down in the test from the kind of problem and asserted. The parsers are also fuzzed\n")
                .append("(`ParserFuzzTest`, `SeededMutationTest`, `scripts/fuzz-ci.sh`): no input makes them fail other than with one such line.\n")
                .append("The last section lists problems that are warnings, not errors: the run goes on, and the one line\n")
                .append("prosparse logs at WARN is shown.\n\n")
                .append("Regenerate after changing a message: `mvn test -Dtest=BadInputCatalogTest -Dprosparse.updateDocs=true`.\n");
        String area = null;
        int rows = 0;
        for (Case c : cases()) {
            Path work = Files.createDirectories(dir.resolve("case-" + rows++));
            ProsparseException e = assertThrows(ProsparseException.class, () -> c.run().accept(work), c.input());
            assertEquals(c.bug() == null ? c.exit() : c.bug().today(), e.exitCode(), c.input() + ": " + e.getMessage()
                    + (c.bug() == null ? "" : " (known bug: " + c.bug().why() + "; fixed? then remove the mark)"));
            String msg = e.getMessage();
            assertTrue(msg != null && !msg.contains("\n") && msg.length() <= FuzzTargets.MAX_MESSAGE, c.input() + ": " + msg);
            if (!c.area().equals(area)) {
                area = c.area();
                doc.append("\n## ").append(area).append("\n\n| Input | Exit | What prosparse says |\n|---|---|---|\n");
            }
            String shown = repoRelative(msg).replace(work.toAbsolutePath().toString(), "<dir>").replace(work.toString(), "<dir>")
                    .replaceAll("\\.tmp-[0-9a-f]+", ".tmp-…");
            String exit = c.bug() == null ? String.valueOf(c.exit())
                    : c.exit() + " (today " + c.bug().today() + ": " + c.bug().why() + ")";
            doc.append("| ").append(cell(c.input())).append(" | ").append(cell(exit)).append(" | ")
                    .append(cell(shown)).append(" |\n");
        }
        for (Warn w : warnings()) {
            if (!w.area().equals(area)) {
                area = w.area();
                doc.append("\n## ").append(area).append("\n\n| Input | Exit | What prosparse logs |\n|---|---|---|\n");
            }
            String msg = w.firstWarning();
            assertTrue(msg != null && !msg.contains("\n") && msg.length() <= FuzzTargets.MAX_MESSAGE, w.input() + ": " + msg);
            doc.append("| ").append(cell(w.input())).append(" | 0 (the run goes on) | WARN ").append(cell(repoRelative(msg)))
                    .append(" |\n");
            rows++;
        }
        String generated = doc.toString();
        if (Boolean.getBoolean("prosparse.updateDocs")) {
            Files.createDirectories(DOC.getParent());
            Files.writeString(DOC, generated);
        }
        assertTrue(Files.isRegularFile(DOC), DOC + " is missing; run mvn test -Dtest=BadInputCatalogTest -Dprosparse.updateDocs=true");
        assertEquals(generated, Files.readString(DOC), DOC + " is out of date; regenerate it with"
                + " mvn test -Dtest=BadInputCatalogTest -Dprosparse.updateDocs=true");
        System.out.println("bad-input catalog: " + rows + " cases, all one-line ProsparseExceptions");
    }

    /** Paths inside the repository as the user would type them from its root (the document is the same in any checkout). */
    private static String repoRelative(String msg) {
        return msg.replace(Fixtures.repo().toAbsolutePath().normalize() + java.io.File.separator, "");
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }

    // ---- the cases ------------------------------------------------------------------------------------------

    static final String OK = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        String st = "safetensors file";
        c.add(new Case(st, "File shorter than the 8-byte length prefix", CHECKPOINT, d -> open(d, new byte[] {1, 2, 3})));
        c.add(new Case(st, "Header length 0", CHECKPOINT, d -> open(d, withLength(0, bytes(OK, 8)))));
        c.add(new Case(st, "Header length 2⁶⁴−1 (all bits set)", CHECKPOINT, d -> open(d, withLength(-1, bytes(OK, 8)))));
        c.add(new Case(st, "Header length past the end of the file", CHECKPOINT, d -> open(d, withLength(1_000_000, bytes(OK, 8)))));
        c.add(new Case(st, "Header bytes that are not UTF-8", CHECKPOINT, d -> open(d, file(new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'}, 0))));
        c.add(new Case(st, "Header JSON cut off", CHECKPOINT, d -> open(d, file("{\"w\":{\"dtype\":", 0))));
        c.add(new Case(st, "Header a JSON array, not an object", CHECKPOINT, d -> open(d, file("[1,2]", 0))));
        c.add(new Case(st, "Nesting bomb: 100,000 `[`", CHECKPOINT, d -> open(d, file("{\"w\":" + "[".repeat(100_000), 0))));
        c.add(new Case(st, "A number of 2,000 digits", CHECKPOINT, d -> open(d, file("{\"w\":{\"dtype\":\"F32\",\"shape\":[" + "9".repeat(2000)
                + "],\"data_offsets\":[0,8]}}", 8))));
        c.add(new Case(st, "Unknown dtype `F8_E4M3`", CHECKPOINT, d -> open(d, file(entry("w", "F8_E4M3", "[8]", "0", "8"), 8))));
        c.add(new Case(st, "Negative dimension in `shape`", CHECKPOINT, d -> open(d, file(entry("w", "F32", "[-2]", "0", "8"), 8))));
        c.add(new Case(st, "Shape product overflows 64 bits: [2³², 2³²] F32", CHECKPOINT, d -> open(d, file(entry("w", "F32",
                "[4294967296,4294967296]", "0", "0"), 0))));
        c.add(new Case(st, "Element count 2⁶² with no data (U8)", CHECKPOINT, d -> open(d, file(entry("w", "U8", "[4611686018427387904]", "0", "0"), 0))));
        c.add(new Case(st, "`data_offsets` past the end of the data", CHECKPOINT, d -> open(d, file(entry("w", "F32", "[4]", "0", "16"), 8))));
        c.add(new Case(st, "`data_offsets` with begin after end", CHECKPOINT, d -> open(d, file(entry("w", "F32", "[0]", "8", "0"), 8))));
        c.add(new Case(st, "`data_offsets` beyond 2⁶³", CHECKPOINT, d -> open(d, file(entry("w", "F32", "[2]", "0", "18446744073709551615"), 8))));
        c.add(new Case(st, "Byte span does not match dtype × shape", CHECKPOINT, d -> open(d, file(entry("w", "F32", "[3]", "0", "16"), 16))));
        c.add(new Case(st, "Two tensors overlap", CHECKPOINT, d -> open(d, file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12))));
        c.add(new Case(st, "The same tensor name twice", CHECKPOINT, d -> open(d, file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8))));
        c.add(new Case(st, "`__metadata__` value that is not a string", CHECKPOINT, d -> open(d, file("{\"__metadata__\":{\"format\":1}}", 0))));
        c.add(new Case(st, "Tensor name with a line break (shown escaped)", CHECKPOINT, d -> open(d, file(entry("a\\nb", "F8", "[1]", "0", "1"), 1))));
        c.add(new Case(st, "Download cut off in the data (tiny-llama, first 64 KiB)", CHECKPOINT, d -> open(d, prefix(64 << 10))));
        c.add(new Case(st, "File does not exist", CHECKPOINT, d -> SafetensorsFile.open(d.resolve("model.safetensors"))));

        String ix = "model.safetensors.index.json";
        c.add(new Case(ix, "Not JSON", CHECKPOINT, d -> sharded(d, "{\"weight_map\": {")));
        c.add(new Case(ix, "No `weight_map`", CHECKPOINT, d -> sharded(d, "{\"metadata\": {}}")));
        c.add(new Case(ix, "Shard name with a path (`../`)", CHECKPOINT, d -> sharded(d, "{\"weight_map\": {\"x\": \"../s1.safetensors\"}}")));
        c.add(new Case(ix, "Shard name with a lone UTF-16 surrogate and a line break (fuzz finding)", CHECKPOINT, d -> sharded(d,
                "{\"weight_map\": {\"x\": \"\\udead\\ns1.safetensors\"}}")));
        c.add(new Case(ix, "Tensor name with a lone UTF-16 surrogate", CHECKPOINT, d -> sharded(d,
                "{\"weight_map\": {\"x\\udead\": \"s1.safetensors\"}}")));
        c.add(new Case(ix, "Shard file missing", CHECKPOINT, d -> sharded(d, "{\"weight_map\": {\"x\": \"s3.safetensors\"}}")));
        c.add(new Case(ix, "Tensor not in the shard the index names", CHECKPOINT, d -> sharded(d, "{\"weight_map\": {\"x\": \"s2.safetensors\"}}")));
        c.add(new Case(ix, "`total_size` negative", CHECKPOINT, d -> sharded(d, "{\"metadata\": {\"total_size\": -1}, \"weight_map\": {}}")));
        c.add(new Case(ix, "UTF-16 text (Jackson alone would guess the encoding)", CHECKPOINT, d -> shardedBytes(d,
                "{\"weight_map\": {}}".getBytes(StandardCharsets.UTF_16LE))));
        c.add(new Case(ix, "Nesting bomb", CHECKPOINT, d -> sharded(d, "{\"metadata\": " + "{\"a\": ".repeat(100_000))));

        String cf = "config.json";
        c.add(new Case(cf, "Not JSON", CHECKPOINT, d -> config(d, "{\"model_type\": \"llama\"")));
        c.add(new Case(cf, "Something after the JSON object", CHECKPOINT, d -> config(d, tinyConfig() + "{\"x\": 1}")));
        c.add(new Case(cf, "A stray `}` at the end", CHECKPOINT, d -> config(d, tinyConfig() + "}")));
        c.add(new Case(cf, "The same key twice", CHECKPOINT, d -> config(d, "{\"model_type\": \"llama\", \"model_type\": \"minicpm\"}")));
        c.add(new Case(cf, "Bytes that are not UTF-8", CHECKPOINT, d -> configBytes(d, new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'})));
        c.add(new Case(cf, "`model_type` missing", CHECKPOINT, d -> config(d, tinyConfig().replace("\"model_type\": \"llama\",", ""))));
        c.add(new Case(cf, "`model_type` another architecture", CHECKPOINT, d -> config(d, tinyConfig().replace("\"llama\"", "\"gpt2\""))));
        c.add(new Case(cf, "`hidden_size` negative", CHECKPOINT, d -> config(d, tinyConfig().replace("\"hidden_size\": 128", "\"hidden_size\": -128"))));
        c.add(new Case(cf, "`hidden_size` 2³¹", CHECKPOINT, d -> config(d, tinyConfig().replace("\"hidden_size\": 128", "\"hidden_size\": 2147483648"))));
        c.add(new Case(cf, "Heads not a multiple of KV heads", CHECKPOINT, d -> config(d, tinyConfig().replace("\"num_key_value_heads\": 2",
                "\"num_key_value_heads\": 3"))));
        c.add(new Case(cf, "Unknown `hidden_act`", CHECKPOINT, d -> config(d, tinyConfig().replace("\"silu\"", "\"gelu\""))));
        c.add(new Case(cf, "`hidden_act` with a line break", CHECKPOINT, d -> config(d, tinyConfig().replace("\"silu\"", "\"si\\nlu\""))));
        c.add(new Case(cf, "FATReLU without `hidden_act_param`", CHECKPOINT, d -> config(d, tinyConfig().replace("\"silu\"", "\"fatrelu\""))));
        c.add(new Case(cf, "FATReLU with a negative `hidden_act_param`", CHECKPOINT, d -> config(d, tinyConfig().replace("\"silu\"",
                "\"fatrelu\", \"hidden_act_param\": -0.5"))));
        c.add(new Case(cf, "`rms_norm_eps` 1e999 (infinite)", CHECKPOINT, d -> config(d, tinyConfig().replace("1e-05", "1e999"))));
        c.add(new Case(cf, "`rms_norm_eps` 0", CHECKPOINT, d -> config(d, tinyConfig().replace("1e-05", "0"))));
        c.add(new Case(cf, "`rope_scaling` of type yarn", CHECKPOINT, d -> config(d, tinyConfig().replace("\"pretraining_tp\": 1,",
                "\"pretraining_tp\": 1, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4},"))));
        c.add(new Case(cf, "`rope_parameters` of type llama3 without its factors", CHECKPOINT, d -> config(d, tinyConfig().replace(
                "\"rope_type\": \"default\"", "\"rope_type\": \"llama3\""))));
        c.add(new Case(cf, "Qwen2 `layer_types` sliding without a window", CHECKPOINT, d -> config(d, tinyConfig().replace("\"llama\"",
                "\"qwen2\"").replace("\"pretraining_tp\": 1,", "\"layer_types\": [\"full_attention\", \"full_attention\","
                + " \"full_attention\", \"sliding_attention\"],"))));
        c.add(new Case(cf, "No config.json in the folder", CHECKPOINT, d -> {
            copyTiny(d);
            delete(d.resolve("config.json"));
            HfCheckpoint.open(d);
        }));

        String folder = "checkpoint folder";
        c.add(new Case(folder, "Only a PyTorch `pytorch_model.bin`", CHECKPOINT, d -> {
            write(d.resolve("pytorch_model.bin"), new byte[16]);
            CheckpointFiles.open(d);
        }));
        c.add(new Case(folder, "Only a GGUF file (llama.cpp format), no config.json", CHECKPOINT, d -> {
            write(d.resolve("model-q4_k_m.gguf"), new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
            HfCheckpoint.open(d);
        }));
        c.add(new Case(folder, "config.json beside a GGUF file, no safetensors", CHECKPOINT, d -> {
            write(d.resolve("model-q4_k_m.gguf"), new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
            write(d.resolve("config.json"), tinyConfig().getBytes(StandardCharsets.UTF_8));
            HfCheckpoint.open(d).files().close();
        }));
        c.add(new Case(folder, "Not a folder", CHECKPOINT, d -> CheckpointFiles.open(d.resolve("nowhere"))));

        String tr = "training recipe: target sparsity";
        Path tiny = Fixtures.repo().resolve("configs/train/prosparse-tiny.yaml");
        c.add(new Case(tr, "`l1.target_sparsity: 1.5` (outside (0, 1))", USAGE, d -> Recipe.load(tiny, List.of("l1.target_sparsity=1.5"))));
        c.add(new Case(tr, "`l1.target_sparsity: 0`", USAGE, d -> Recipe.load(tiny, List.of("l1.target_sparsity=0"))));
        c.add(new Case(tr, "`--target-sparsity 90` (a percentage)", USAGE, d -> command(new TrainCommand(), "--config",
                tiny.toString(), "--target-sparsity", "90", "--set", "output_dir=" + d)));
        c.add(new Case(tr, "Target with a first stage that has L1 (`stages.1.l1_lambda: 0.5`)", USAGE, d -> Recipe.load(tiny,
                List.of("l1.target_sparsity=0.9", "stages.1.l1_lambda=0.5"))));
        c.add(new Case(tr, "Target with a last stage below the table's largest λ", USAGE, d -> Recipe.load(tiny,
                List.of("l1.target_sparsity=0.9", "stages.6.l1_lambda=10"))));
        c.add(new Case(tr, "Target with a one-stage table", USAGE, d -> Recipe.load(Fixtures.repo().resolve(
                "configs/train/vanilla-relu-tiny.yaml"), List.of("l1.target_sparsity=0.9"))));
        c.add(new Case(tr, "`l1.lambda_max` below `l1.lambda_min`", USAGE, d -> Recipe.load(tiny,
                List.of("l1.target_sparsity=0.9", "l1.lambda_min=1", "l1.lambda_max=0.5"))));

        String cal = "calibrate";
        String[] model = {"--model", Fixtures.model("tiny-llama").toString()};
        c.add(new Case(cal, "`--targets 0.9,1.2`", USAGE, d -> calibrate(d, model, "--targets", "0.9,1.2")));
        c.add(new Case(cal, "`--lambdas 0,1,2,4` (λ must be > 0)", USAGE, d -> calibrate(d, model, "--targets", "0.9",
                "--lambdas", "0,1,2,4")));
        c.add(new Case(cal, "`--lambdas 1,2,4 --held-out 1` (too few probes for the fit)", USAGE, d -> calibrate(d, model,
                "--targets", "0.9", "--lambdas", "1,2,4", "--held-out", "1")));
        c.add(new Case(cal, "`--held-out 9` past the λ list", USAGE, d -> calibrate(d, model, "--targets", "0.9", "--held-out", "9")));
        c.add(new Case(cal, "`--probe-steps 5`", USAGE, d -> calibrate(d, model, "--targets", "0.9", "--probe-steps", "5")));
        c.add(new Case(cal, "`--config` a recipe with a target (tiny-90)", USAGE, d -> calibrate(d, model, "--targets", "0.9",
                "--config", Fixtures.repo().resolve("configs/train/tiny-90.yaml").toString())));
        c.add(new Case(cal, "`--config` a recipe without L1 (vanilla-relu-tiny)", USAGE, d -> calibrate(d, model, "--targets",
                "0.9", "--config", Fixtures.repo().resolve("configs/train/vanilla-relu-tiny.yaml").toString())));
        c.add(new Case(cal, "`--out` holding an earlier calibration, without `--force`", USAGE, d -> {
            assertTrue(d.resolve("out").toFile().mkdir());
            write(d.resolve("out/calibration.md"), "earlier\n".getBytes(StandardCharsets.UTF_8));
            calibrate(d, model, "--targets", "0.9");
        }));

        String wr = "writing";
        c.add(new Case(wr, "Disk full after 100 bytes of a safetensors file", IO, d -> {
            try (FaultInjection disk = FaultInjection.diskFullAfter(100, p -> true)) {
                SafetensorsWriter.write(d.resolve("model.safetensors"), Map.of(), List.of(
                        TensorSource.ofFloats("w", DType.F32, new long[] {64}, new float[64])));
            }
        }));
        c.add(new Case(wr, "Output folder does not exist", IO, d -> SafetensorsWriter.write(d.resolve("no/such/model.safetensors"),
                Map.of(), List.of(TensorSource.ofFloats("w", DType.F32, new long[] {1}, new float[1])))));
        return c;
    }

    /** Target-sparsity runs that cannot meet their target: λ held at a limit (prosparse-tiny's table, 360 ReLU steps). */
    static List<Warn> warnings() {
        String tr = "target-sparsity controller warnings";
        return List.of(
                new Warn(tr, "λ at `l1.lambda_max` for `cap_patience` steps, sparsity below the target", TargetSparsityController.class,
                        () -> drive(List.of("l1.target_sparsity=0.95", "l1.lambda_max=3", "l1.cap_patience=20"), 0.5)),
                new Warn(tr, "λ at `l1.lambda_min` for `cap_patience` steps, sparsity above the target", TargetSparsityController.class,
                        () -> drive(List.of("l1.target_sparsity=0.5", "l1.cap_patience=20"), 0.99)));
    }

    /** A controller on prosparse-tiny's table fed a constant training-batch sparsity for the whole run. */
    static void drive(List<String> sets, double sparsity) {
        List<String> all = new ArrayList<>(sets);
        Recipe r = Recipe.load(Fixtures.repo().resolve("configs/train/prosparse-tiny.yaml"), all);
        L1Schedule schedule = new L1Schedule(r.stages());
        TargetSparsityController c = new TargetSparsityController(schedule, r.l1());
        for (int t = 1; t <= schedule.totalSteps(); t++) {
            c.observe(t, sparsity);
        }
    }

    /** Parses {@code args} into {@code cmd} as picocli would and runs it: bad input must throw before anything runs. */
    static void command(Callable<Integer> cmd, String... args) {
        new CommandLine(cmd).parseArgs(args);
        try {
            cmd.call();
        } catch (ProsparseException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("expected a ProsparseException", e);
        }
        throw new AssertionError(String.join(" ", args) + " ran instead of being refused");
    }

    static void calibrate(Path d, String[] model, String... args) {
        List<String> a = new ArrayList<>(List.of(model));
        a.addAll(List.of(args));
        a.addAll(List.of("--out", d.resolve("out").toString()));
        command(new CalibrateCommand(), a.toArray(String[]::new));
    }

    // ---- builders -------------------------------------------------------------------------------------------

    static String entry(String name, String dtype, String shape, String begin, String end) {
        return "{\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}}";
    }

    static byte[] bytes(String json, int data) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(j, j.length + data);
    }

    /** A safetensors file: the exact header length, the header, {@code data} zero bytes. */
    static byte[] file(String header, int data) {
        return withLength(header.getBytes(StandardCharsets.UTF_8).length, bytes(header, data));
    }

    static byte[] file(byte[] header, int data) {
        return withLength(header.length, Arrays.copyOf(header, header.length + data));
    }

    static byte[] withLength(long declared, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(declared).put(rest).array();
    }

    static byte[] prefix(int n) {
        try {
            return Arrays.copyOf(Files.readAllBytes(Fixtures.model("tiny-llama").resolve("model.safetensors")), n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void open(Path d, byte[] content) {
        Path f = write(d.resolve("model.safetensors"), content);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            st.tensors().forEach(t -> st.readFloat32(t.name()));
        }
    }

    /** Two valid shards ("x" in s1, "y" in s2) and the given index. */
    static void sharded(Path d, String index) {
        shardedBytes(d, index.getBytes(StandardCharsets.UTF_8));
    }

    static void shardedBytes(Path d, byte[] index) {
        SafetensorsWriter.write(d.resolve("s1.safetensors"), Map.of(), List.of(TensorSource.ofFloats("x", DType.F32, new long[] {1}, new float[1])));
        SafetensorsWriter.write(d.resolve("s2.safetensors"), Map.of(), List.of(TensorSource.ofFloats("y", DType.F32, new long[] {1}, new float[1])));
        write(d.resolve("model.safetensors.index.json"), index);
        CheckpointFiles.open(d).close();
    }

    static String tinyConfig() {
        try {
            return Files.readString(Fixtures.model("tiny-llama").resolve("config.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void config(Path d, String text) {
        configBytes(d, text.getBytes(StandardCharsets.UTF_8));
    }

    static void configBytes(Path d, byte[] bytes) {
        write(d.resolve("config.json"), bytes);
        ModelConfig.read(d);
    }

    static void copyTiny(Path d) {
        try (var s = Files.list(Fixtures.model("tiny-llama"))) {
            for (Path p : s.toList()) {
                Files.copy(p, d.resolve(p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path p, byte[] content) {
        try {
            return Files.write(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path p) {
        try {
            Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
