package dev.prosparse.train;

import dev.prosparse.data.DataSource;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TextTokenizer;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.HfCheckpoint;
import java.nio.file.Path;

/**
 * The token streams of a run: training batches (random windows, a function of (seed, step, micro-batch)) and the
 * fixed evaluation windows. Text is tokenized once per data source and tokenizer and cached in {@code cacheDir}.
 */
record TrainData(TokenStream train, TokenStream eval, EvalWindows windows, BatchSampler sampler) {

    static TrainData load(Recipe recipe, HfCheckpoint source, Path cacheDir) {
        TokenStream trainStream, evalStream;
        try (TextTokenizer tok = source.tokenizer()) {
            trainStream = TokenCache.load(cacheDir, new DataSource(recipe.data().train(), recipe.data().textField()), tok);
            evalStream = TokenCache.load(cacheDir, new DataSource(recipe.data().eval(), recipe.data().textField()), tok);
        }
        EvalWindows windows = EvalWindows.over(evalStream, recipe.eval().windows(), recipe.seqLen(), recipe.data().eval());
        BatchSampler sampler = new BatchSampler(trainStream, recipe.seqLen(), recipe.batchSize(), recipe.seed());
        return new TrainData(trainStream, evalStream, windows, sampler);
    }
}
