package dev.prosparse.cli;

import dev.prosparse.data.DataSource;
import picocli.CommandLine.Option;

/** Evaluation-window options shared by the commands that measure a model. */
public final class EvalOptions {
    @Option(names = "--data", paramLabel = "FILE", defaultValue = DataSource.EMBEDDED_VALID,
            description = "Evaluation text: .jsonl, .jsonl.gz or .txt (blank-line separated documents), or embedded:valid / embedded:train. Default: ${DEFAULT-VALUE}.")
    public String data;

    @Option(names = "--text-field", paramLabel = "NAME", defaultValue = "text",
            description = "JSONL field holding the text. Default: ${DEFAULT-VALUE}.")
    public String textField;

    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "256",
            description = "Predicted tokens per window. Default: ${DEFAULT-VALUE}.")
    public int seqLen;

    @Option(names = "--windows", paramLabel = "N", defaultValue = "64",
            description = "Evaluation windows, spread evenly over the data. Default: ${DEFAULT-VALUE}.")
    public int windows;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "8",
            description = "Windows per forward pass (memory, not results). Default: ${DEFAULT-VALUE}.")
    public int batchSize;

    @Option(names = "--lossy-utf8",
            description = "Read bytes of --data that are not UTF-8 as U+FFFD (and say how many) instead of refusing the file.")
    public boolean lossyUtf8;

    public DataSource source() {
        return new DataSource(data, textField).withLossyUtf8(lossyUtf8);
    }
}
