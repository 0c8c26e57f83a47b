package dev.prosparse.hub;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.BuildInfo;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The hub's HTTP side: one client that follows redirects by hand (so {@code HF_TOKEN} goes to the endpoint's
 * host only, never to the CDN it redirects to), and failures and HTTP errors mapped to one-sentence errors that
 * say what to do (login, gated licence, wrong id, network).
 */
final class HubHttp {
    static final int MAX_REDIRECTS = 5;

    private final HubEnv env;
    private final HttpClient client;

    HubHttp(HubEnv env) {
        this.env = env;
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand, to keep the token off other hosts
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** GETs {@code url} from byte {@code from} on (a Range request when > 0), following redirects by hand. */
    HttpResponse<InputStream> get(URI url, long from, String repoId, String file) {
        URI at = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(at).GET().header("Accept-Encoding", "identity");
            if (from > 0) {
                b.header("Range", "bytes=" + from + "-");
            }
            HttpResponse<InputStream> resp = send(b, at.toString(), HttpResponse.BodyHandlers.ofInputStream(), repoId, file);
            if (!isRedirect(resp.statusCode())) {
                return resp;
            }
            closeQuietly(resp.body());
            at = location(at, resp, file);
        }
        throw ProsparseException.io("more than " + MAX_REDIRECTS + " redirects for " + url + "; check HF_ENDPOINT", null);
    }

    /** Where a redirect points, resolved against the URL that answered it. */
    static URI location(URI at, HttpResponse<?> resp, String file) {
        return at.resolve(resp.headers().firstValue("Location").orElseThrow(() -> ProsparseException.io(
                "the hub redirected " + file + " without a Location header; check HF_ENDPOINT", null)));
    }

    /**
     * Sends a request, adding the token for the endpoint's host only; maps failures and HTTP errors (other
     * than redirects and 206/416) to one-sentence errors.
     */
    <T> HttpResponse<T> send(HttpRequest.Builder b, String url, HttpResponse.BodyHandler<T> handler,
            String repoId, String file) {
        URI uri = URI.create(url);
        b.header("User-Agent", "prosparse/" + BuildInfo.version());
        String token = env.token();
        if (token != null && sameHost(uri, URI.create(env.endpoint()))) {
            b.header("Authorization", "Bearer " + token);
        }
        if (file == null) {
            b.timeout(Duration.ofSeconds(60));
        }
        HttpResponse<T> resp;
        try {
            resp = client.send(b.build(), handler);
        } catch (ConnectException e) {
            throw ProsparseException.io("cannot connect to " + uri.getScheme() + "://" + uri.getAuthority()
                    + " (" + e.getMessage() + "); check the network, or set HF_ENDPOINT to a reachable mirror", e);
        } catch (HttpTimeoutException e) {
            throw ProsparseException.io(url + " did not answer in time; check the network and run again", e);
        } catch (IOException e) {
            throw ProsparseException.io("request to " + url + " failed: " + Errors.describe(e)
                    + "; check the network and run again", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, "download interrupted", e);
        }
        int code = resp.statusCode();
        if (code < 300 || isRedirect(code) || code == 416) {
            return resp;
        }
        if (resp.body() instanceof InputStream in) {
            closeQuietly(in);
        }
        String what = file == null ? "hub repo " + repoId : repoId + "/" + file;
        String page = env.endpoint() + "/" + repoId;
        if (code == 401) {
            throw ProsparseException.usage(what + " needs a login (HTTP 401): "
                    + (token == null ? "set HF_TOKEN to a read token from " + env.endpoint() + "/settings/tokens"
                    : "the HF_TOKEN given was refused; check it") + ", and check that the id is right");
        }
        if (code == 403) {
            throw ProsparseException.usage(what + " is gated (HTTP 403): accept its licence at " + page
                    + " with the account whose token is in HF_TOKEN, then run again");
        }
        if (code == 404) {
            throw ProsparseException.usage(what + " was not found at " + env.endpoint() + " (HTTP 404); check the"
                    + " hub id and --revision (private repositories also need HF_TOKEN)");
        }
        throw ProsparseException.io(url + " answered HTTP " + code + "; try again later", null);
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && String.valueOf(a.getScheme()).equalsIgnoreCase(String.valueOf(b.getScheme()));
    }

    static boolean isRedirect(int code) {
        return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    }

    /** URL-encodes one path segment or query value (spaces as %20). */
    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String file) {
        return encode(file);
    }

    static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to do: the response is abandoned
        }
    }
}
