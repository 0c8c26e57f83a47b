package dev.prosparse.cli;

import dev.prosparse.convert.ConvertChecks;
import dev.prosparse.convert.ConvertRequest;
import dev.prosparse.convert.ConvertResult;
import dev.prosparse.convert.Converter;
import dev.prosparse.convert.OutputPath;
import dev.prosparse.convert.TargetDtype;
import dev.prosparse.hub.HubEnv;
import dev.prosparse.hub.ModelResolver;
import dev.prosparse.hub.Presets;
import dev.prosparse.config.Activation;
import dev.prosparse.util.ByteSize;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse convert}: the activation swap, written as a new HuggingFace checkpoint folder. */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Write a copy of a HuggingFace checkpoint whose config.json names another FFN",
            "activation (hidden_act, plus hidden_act_param for fatrelu/shiftrelu). Every other",
            "key, the weights (byte for byte with --dtype keep), the sharding and the tokenizer",
            "files stay as they are. Streams shard by shard, so memory stays flat for 7B and",
            "13B models; the output appears only when complete."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse convert --model llama2-7b --act relu --out checkpoints/llama2-7b-relu",
            "  prosparse convert --model ./my-minicpm --act fatrelu --threshold 0.01 \\",
            "      --out out/minicpm-fat",
            "  prosparse convert --model meta-llama/Llama-2-13b-hf --download --act relu \\",
            "      --dtype bf16 --out out/13b-relu"},
        usageHelpWidth = 100)
public final class ConvertCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ConvertCommand.class);

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "Checkpoint folder, preset name (see 'prosparse presets') or hub id org/name.")
    String model;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Folder holding the preset's or hub id's checkpoint (skips the lookup).")
    Path modelDir;

    @Option(names = "--revision", paramLabel = "REV", defaultValue = "main",
            description = "Hub branch, tag or commit for a preset or hub id. Default: ${DEFAULT-VALUE}.")
    String revision;

    @Option(names = "--download",
            description = "Fetch a preset or hub id from the hub into the HuggingFace cache when it is not on this machine"
                    + " (HF_TOKEN, HF_ENDPOINT, HF_HUB_CACHE honoured; resumable, sha256-checked).")
    boolean download;

    @picocli.CommandLine.Mixin
    ActivationOptions activationOptions = new ActivationOptions();

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "keep",
            description = "keep (byte copy), f32, f16 or bf16. Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--max-shard-size", paramLabel = "SIZE",
            description = "Re-pack the weights into shards of at most SIZE (5GB, 500MB, 2GiB). Default: the source's sharding.")
    String maxShardSize;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to create.")
    Path out;

    @Option(names = "--force",
            description = "Replace a non-empty --out, and write even when the source already has the activation.")
    boolean force;

    @Option(names = "--hash", description = "Record the sha256 of every source file in prosparse.json.")
    boolean hash;

    @Override
    public Integer call() {
        // every flag is checked before a model is looked up or downloaded
        Activation activation = activationOptions.required();
        Double threshold = activationOptions.threshold;
        TargetDtype targetDtype = TargetDtype.parse(dtype);
        Long maxShard = maxShardSize == null ? null : ByteSize.parse(maxShardSize, "--max-shard-size");
        OutputPath.check(out, force);

        ModelResolver resolver = new ModelResolver(Presets.home(), HubEnv.fromSystem());
        ModelResolver.Resolved m = resolver.resolve(model, modelDir, revision, download);
        if (m.origin() != ModelResolver.Origin.FOLDER) {
            LOG.info("--model {} resolved to {} ({}{})", model, m.dir(), m.origin().label,
                    m.revision() != null ? ", revision " + m.revision() : "");
        }
        ConvertRequest req = new ConvertRequest(m.dir(), out, activation, threshold, targetDtype, maxShard, force, hash,
                new ConvertRequest.Origin(model, m.hubId(), m.revision(), m.origin().label), m.preset());
        ConvertResult result = new Converter().convert(req);
        if (!result.written()) {
            System.err.println("prosparse: " + result.message());
            System.err.flush();
            return 0;
        }
        System.out.println(result.message());
        System.out.flush();
        return 0;
    }
}
