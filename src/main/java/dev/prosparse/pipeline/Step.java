package dev.prosparse.pipeline;

/** The steps of {@code sparsify}, in order, each with the folder (or file) under --out that it leaves when done. */
public enum Step {
    CONVERT("convert", "convert"),
    TRAIN("train", "train"),
    PREDICTORS("predictors", "predictors"),
    EXPORT("export", "export"),
    CARD("model card", "final");

    public final String label;
    public final String folder;

    Step(String label, String folder) {
        this.label = label;
        this.folder = folder;
    }
}
