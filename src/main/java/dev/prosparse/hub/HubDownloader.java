package dev.prosparse.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.io.WeightFormats;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.ByteSize;
import dev.prosparse.util.Errors;
import dev.prosparse.util.Hashing;
import dev.prosparse.util.Json;
import dev.prosparse.util.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a model repository from the HuggingFace hub (or any server with its URL layout) into the standard
 * cache, so that {@code huggingface_hub} and transformers find the files too:
 * <ul>
 *   <li>{@code GET {endpoint}/api/models/{repo}} (or {@code …/revision/{rev}}) lists the files and the commit;</li>
 *   <li>{@code HEAD {endpoint}/{repo}/resolve/{commit}/{file}} gives the ETag (the sha256 for LFS files, in
 *       {@code X-Linked-Etag} of the redirect) and the size;</li>
 *   <li>{@code GET} of the same URL streams into {@code blobs/<etag>.incomplete}, resuming with {@code Range}
 *       where an earlier attempt stopped, is checked against the sha256 and size, then renamed to
 *       {@code blobs/<etag>} and linked from {@code snapshots/<commit>/<file>}; {@code refs/<rev>} is written
 *       last.</li>
 * </ul>
 * {@code HF_TOKEN} is sent as a bearer token to the endpoint's host only (not to the CDN it redirects to).
 * Only top-level files are fetched, and of the weight formats only safetensors.
 */
public final class HubDownloader {
    private static final Logger LOG = LoggerFactory.getLogger(HubDownloader.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** A download that receives nothing for this long is abandoned (and resumable). */
    static final Duration DEFAULT_STALL = Duration.ofSeconds(60);

    private final HubEnv env;
    private final HubHttp http;
    private final Duration stall;

    public HubDownloader(HubEnv env) {
        this(env, DEFAULT_STALL);
    }

    /** @param stall how long a transfer may receive nothing before it is abandoned */
    HubDownloader(HubEnv env, Duration stall) {
        this.env = env;
        this.stall = stall;
        this.http = new HubHttp(env);
    }

    /** The repository's commit at a revision and the files to fetch. */
    public record RepoFiles(String commit, List<String> files) {}

    /** Downloads {@code repoId} at {@code revision} into {@link HubEnv#downloadRoot()}. */
    public HfCache.Snapshot download(String repoId, String revision) {
        return download(repoId, revision, env.downloadRoot());
    }

    /** Downloads into the cache rooted at {@code root}; files already there are not fetched again. */
    public HfCache.Snapshot download(String repoId, String revision, Path root) {
        RepoFiles listing = list(repoId, revision);
        Path repo = HfCache.repoDir(root, repoId);
        Path snapshot = repo.resolve("snapshots").resolve(listing.commit());
        List<Remote> remotes = new ArrayList<>();
        long total = 0;
        for (String file : listing.files()) {
            Remote r = head(repoId, listing.commit(), file);
            remotes.add(r);
            total += Math.max(0, r.size());
        }
        LOG.info("Downloading {} at {} ({} files, {}) from {} into {}", repoId, listing.commit().substring(0, 10),
                remotes.size(), ByteSize.format(total), env.endpoint(), repo);
        try {
            Files.createDirectories(repo.resolve("blobs"));
            Files.createDirectories(snapshot);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create the cache folder " + repo + ": " + Errors.describe(e)
                    + "; set HF_HUB_CACHE to a writable folder", e);
        }
        long done = 0;
        try (Progress bar = Progress.start("download", Math.max(1, total >> 20), "MB")) {
            for (Remote r : remotes) {
                Path blob = repo.resolve("blobs").resolve(r.etag());
                if (isComplete(blob, r)) {
                    LOG.debug("{}: already in the cache", r.file());
                } else {
                    final long before = done;
                    fetch(repoId, r, blob, n -> bar.update((before + n) >> 20, r.file()));
                }
                done += Math.max(0, r.size());
                bar.update(done >> 20, r.file());
                link(snapshot.resolve(r.file()), blob);
            }
        }
        if (!HfCache.COMMIT.matcher(revision).matches()) {
            AtomicFiles.writeString(repo.resolve("refs").resolve(revision), listing.commit());
        }
        return new HfCache.Snapshot(snapshot, listing.commit());
    }

    /** Lists the repository through the hub API and picks the files a safetensors checkpoint needs. */
    public RepoFiles list(String repoId, String revision) {
        String url = env.endpoint() + "/api/models/" + repoId
                + (revision.equals("main") ? "" : "/revision/" + HubHttp.encode(revision));
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(url)).GET(), url,
                HttpResponse.BodyHandlers.ofString(), repoId, null);
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(resp.body());
        } catch (IOException e) {
            throw ProsparseException.io(url + " did not answer with JSON (" + e.getMessage() + "); check HF_ENDPOINT ("
                    + env.endpoint() + ")", e);
        }
        String sha = root.path("sha").asText("");
        if (!HfCache.COMMIT.matcher(sha).matches()) {
            throw ProsparseException.io(url + " gave no commit sha for " + repoId + "; check HF_ENDPOINT ("
                    + env.endpoint() + ")", null);
        }
        List<String> files = new ArrayList<>();
        boolean safetensors = false;
        List<String> skipped = new ArrayList<>();
        for (JsonNode s : root.path("siblings")) {
            String f = s.path("rfilename").asText("");
            if (f.isEmpty()) {
                continue;
            }
            if (wanted(f)) {
                files.add(f);
                safetensors |= f.endsWith(".safetensors");
            } else {
                skipped.add(f);
            }
        }
        if (!safetensors) {
            throw ProsparseException.checkpoint("hub repo " + repoId + " (revision " + revision + ") has no"
                    + " top-level .safetensors weights; convert it first with transformers:"
                    + " model.save_pretrained(out_dir, safe_serialization=True)");
        }
        if (!files.contains("config.json")) {
            throw ProsparseException.checkpoint("hub repo " + repoId + " has no config.json, so it is not a"
                    + " transformers checkpoint");
        }
        LOG.debug("{}: fetching {}, skipping {}", repoId, files, skipped);
        return new RepoFiles(sha, files);
    }

    /** True for the top-level files of a safetensors checkpoint: config, weights, tokenizer, code, licence. */
    static boolean wanted(String file) {
        return !file.contains("/") && !file.startsWith(".") && !WeightFormats.OTHER_INDEX_FILES.contains(file)
                && !WeightFormats.isOtherFormat(file);
    }

    /** What the hub says about one file. {@code size} is -1 when unknown. */
    record Remote(String file, URI url, String etag, long size) {
        boolean lfs() {
            return SHA256.matcher(etag).matches();
        }
    }

    private Remote head(String repoId, String commit, String file) {
        URI url = URI.create(env.endpoint() + "/" + repoId + "/resolve/" + commit + "/" + HubHttp.encode(file));
        URI at = url;
        String etag = null;
        long size = -1;
        for (int hop = 0; hop <= HubHttp.MAX_REDIRECTS; hop++) {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(at).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity"), at.toString(), HttpResponse.BodyHandlers.discarding(),
                    repoId, file);
            HttpHeaders h = r.headers();
            if (etag == null) {
                etag = h.firstValue("X-Linked-Etag").or(() -> HubHttp.isRedirect(r.statusCode()) ? Optional.empty()
                        : h.firstValue("ETag")).map(HubDownloader::normalizeEtag).orElse(null);
            }
            if (size < 0) {
                size = h.firstValue("X-Linked-Size").map(Long::parseLong).orElse(-1L);
            }
            if (!HubHttp.isRedirect(r.statusCode())) {
                if (size < 0) {
                    size = h.firstValueAsLong("Content-Length").orElse(-1L);
                }
                break;
            }
            if (etag != null && size >= 0) {
                break; // the hub's redirect to the CDN already told us everything
            }
            at = HubHttp.location(at, r, file);
        }
        if (etag == null || etag.isEmpty() || etag.contains("/") || etag.contains("..")) {
            throw ProsparseException.io("the hub sent no usable ETag for " + repoId + "/" + file
                    + "; check HF_ENDPOINT (" + env.endpoint() + ")", null);
        }
        return new Remote(file, url, etag, size);
    }

    private static boolean isComplete(Path blob, Remote r) {
        try {
            return Files.isRegularFile(blob) && (r.size() < 0 || Files.size(blob) == r.size());
        } catch (IOException e) {
            return false;
        }
    }

    /** Called with the bytes of the current file downloaded so far. */
    interface Listener {
        void progress(long bytes);
    }

    /** GETs one file into {@code blob}, resuming from {@code blob.incomplete} and verifying sha256 and size. */
    private void fetch(String repoId, Remote r, Path blob, Listener listener) {
        Path part = blob.resolveSibling(blob.getFileName() + ".incomplete");
        try {
            long have = Files.isRegularFile(part) ? Files.size(part) : 0;
            if (r.size() >= 0 && have > r.size()) {
                Files.delete(part);
                have = 0;
            }
            MessageDigest sha = Hashing.newDigest();
            HttpResponse<InputStream> resp = null;
            if (have > 0 && (r.size() < 0 || have < r.size())) {
                LOG.info("{}: resuming at {} of {}", r.file(), ByteSize.format(have), ByteSize.format(r.size()));
                resp = http.get(r.url(), have, repoId, r.file());
                if (resp.statusCode() == 206 && rangeStart(resp) == have) {
                    hashPrefix(part, have, sha);
                } else {
                    resp.body().close();
                    resp = null;
                    have = 0; // the server ignored the range: start over
                }
            } else if (have > 0) {
                hashPrefix(part, have, sha); // complete but not yet verified
            }
            if (resp == null && (have == 0 || (r.size() >= 0 && have < r.size()))) {
                resp = http.get(r.url(), 0, repoId, r.file());
                have = 0;
            }
            try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                out.truncate(have);
                out.position(have);
                if (resp != null) {
                    try (InputStream in = resp.body(); Watchdog dog = new Watchdog(in, stall)) {
                        byte[] buf = new byte[1 << 20];
                        long got = have;
                        for (int n; (n = readOrEnd(in, buf, r.file())) > 0; ) {
                            dog.alive();
                            sha.update(buf, 0, n);
                            ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                            while (b.hasRemaining()) {
                                out.write(b);
                            }
                            got += n;
                            listener.progress(got);
                        }
                    }
                }
                out.force(true);
            }
            long size = Files.size(part);
            if (r.size() >= 0 && size != r.size()) {
                throw ProsparseException.io("the download of " + repoId + "/" + r.file() + " stopped after "
                        + ByteSize.format(size) + " of " + ByteSize.format(r.size()) + "; run the same command again to resume it", null);
            }
            String digest = HexFormat.of().formatHex(sha.digest());
            if (r.lfs() && !digest.equals(r.etag())) {
                Files.deleteIfExists(part);
                throw ProsparseException.io("the sha256 of the downloaded " + repoId + "/" + r.file() + " is " + digest
                        + " but the hub says " + r.etag() + "; the corrupt file was removed, run the same command"
                        + " again to download it afresh", null);
            }
            move(part, blob);
        } catch (IOException e) {
            throw ProsparseException.io("the download of " + repoId + "/" + r.file() + " failed: " + Errors.describe(e)
                    + "; run the same command again to resume it (" + part + " keeps what arrived)", e);
        }
    }

    /** Reads from the response; a dropped or stalled connection ends the transfer (the size check reports it). */
    private static int readOrEnd(InputStream in, byte[] buf, String file) {
        try {
            return in.read(buf);
        } catch (IOException e) {
            LOG.debug("{}: transfer ended early: {}", file, e.toString());
            return -1;
        }
    }

    /** Closes a response stream that has received nothing for too long, which unblocks its reader. */
    private static final class Watchdog implements AutoCloseable {
        private final Thread thread;
        private volatile long last = System.nanoTime();
        private volatile boolean done;

        Watchdog(InputStream in, Duration stall) {
            long limit = stall.toNanos();
            thread = new Thread(() -> {
                while (!done) {
                    try {
                        Thread.sleep(Math.max(10, Math.min(500, limit / 4_000_000)));
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (!done && System.nanoTime() - last > limit) {
                        LOG.warn("no data for {} s: abandoning the transfer (it can be resumed)", stall.toSeconds());
                        HubHttp.closeQuietly(in);
                        return;
                    }
                }
            }, "prosparse-download-watchdog");
            thread.setDaemon(true);
            thread.start();
        }

        void alive() {
            last = System.nanoTime();
        }

        @Override
        public void close() {
            done = true;
            thread.interrupt();
        }
    }

    private static long rangeStart(HttpResponse<?> resp) {
        Matcher m = CONTENT_RANGE.matcher(resp.headers().firstValue("Content-Range").orElse(""));
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void hashPrefix(Path part, long length, MessageDigest sha) throws IOException {
        try (InputStream in = Files.newInputStream(part)) {
            byte[] buf = new byte[1 << 20];
            long left = length;
            for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
                sha.update(buf, 0, n);
                left -= n;
            }
        }
    }

    /** {@code W/"abc"} → {@code abc}. */
    static String normalizeEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    /** Links {@code link} to {@code blob} with a relative symlink (a copy where symlinks are not possible). */
    private static void link(Path link, Path blob) {
        try {
            Files.deleteIfExists(link);
            try {
                Files.createSymbolicLink(link, link.getParent().relativize(blob));
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(blob, link, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw ProsparseException.io("Cannot link " + link + " to " + blob + ": " + Errors.describe(e), e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
