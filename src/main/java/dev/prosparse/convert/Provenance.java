package dev.prosparse.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.Sidecar;
import dev.prosparse.config.Activation;
import dev.prosparse.util.Durations;
import dev.prosparse.util.Hashing;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The provenance sidecar of a conversion: where the weights came from and how each output file was made. */
final class Provenance {
    private static final Logger LOG = LoggerFactory.getLogger(Provenance.class);

    private Provenance() {}

    /** The sha256 of each file, by file name ({@code --hash}). */
    static Map<String, String> hash(List<Path> files) {
        Map<String, String> m = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        for (Path f : files) {
            m.put(f.getFileName().toString(), Hashing.sha256(f));
        }
        LOG.info("Hashed {} source files in {} s", files.size(),
                String.format(Locale.ROOT, "%.1f", Durations.secondsSince(t0)));
        return m;
    }

    /**
     * @param config      the source's config
     * @param param       the output's hidden_act_param (ignored when {@code act} takes none)
     * @param sourceFiles the source files to list, with {@code hashes} (by name) where --hash was given
     */
    static Sidecar sidecar(ConvertRequest r, ModelConfig config, Activation act, double param, ShardPlan plan,
            List<Path> sourceFiles, Map<String, String> hashes) {
        List<Sidecar.SourceFile> files = new ArrayList<>();
        for (Path f : sourceFiles) {
            String name = f.getFileName().toString();
            files.add(new Sidecar.SourceFile(name, Sizes.of(f), hashes.get(name)));
        }
        ConvertRequest.Origin o = r.origin();
        Sidecar.Source source = new Sidecar.Source(o.model(), r.source().toAbsolutePath().normalize().toString(), o.via(),
                r.preset() == null ? null : r.preset().name(), o.hubId(), o.revision(), config.hiddenAct().hfName(),
                config.hiddenAct().takesParam() ? config.hiddenActParam() : null, files, previous(r.source()));
        List<Sidecar.WeightFile> weights = new ArrayList<>();
        for (ShardPlan.Shard s : plan.shards()) {
            weights.add(new Sidecar.WeightFile(s.name(), s.jobs().size(), s.copyKind()));
        }
        return Sidecar.conversion(act.hfName(), act.takesParam() ? param : null,
                new Sidecar.Conversion(r.dtype().flag(), r.maxShardSize(), source, weights));
    }

    /** The source's own sidecar, carried along; null when it has none or it is unreadable (logged). */
    private static JsonNode previous(Path source) {
        Path previous = source.resolve(Sidecar.FILE);
        if (!Files.isRegularFile(previous)) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(previous.toFile());
        } catch (IOException e) {
            LOG.warn("{} is unreadable ({}); its provenance is not carried over", previous, e.getMessage());
            return null;
        }
    }
}
