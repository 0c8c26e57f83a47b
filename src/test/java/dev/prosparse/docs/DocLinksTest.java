package dev.prosparse.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every relative link in README.md, scripts/README.md and docs/*.md points at a file that exists (and a heading that exists). */
class DocLinksTest {
    /** [text](target) outside code spans; images too. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void everyRelativeLinkResolves() throws IOException {
        Path repo = Fixtures.repo();
        List<Path> pages = new ArrayList<>(List.of(repo.resolve("README.md"), repo.resolve("scripts/README.md")));
        try (Stream<Path> s = Files.list(repo.resolve("docs"))) {
            pages.addAll(s.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()));
        }
        assertTrue(pages.size() > 10, "README, scripts/README and the docs pages are found: " + pages);
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            for (String target : links(Files.readString(page))) {
                if (target.matches("^[a-z]+:.*")) {
                    continue; // https:, mailto:
                }
                checked++;
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
                Path to = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(to)) {
                    broken.add(repo.relativize(page) + ": " + target + " (no such file)");
                } else if (anchor != null && to.toString().endsWith(".md") && !anchors(Files.readString(to)).contains(anchor)) {
                    broken.add(repo.relativize(page) + ": " + target + " (no such heading)");
                }
            }
        }
        assertTrue(checked > 20, "links were found: " + checked);
        assertEquals(List.of(), broken, "broken relative links");
    }

    @Test
    void aBrokenLinkIsFound() {
        assertEquals(List.of("missing.md", "a.md#x"), links("see [m](missing.md) and `[not](code.md)` and [a](a.md#x)"));
        assertEquals(List.of("exit-codes", "a-b"), anchors("# Exit codes\ntext\n## A: b\n```\n# not a heading\n```\n"));
    }

    /** Link targets outside code spans and fenced blocks. */
    static List<String> links(String md) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : md.split("\n")) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", ""));
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
    static List<String> anchors(String md) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : md.split("\n")) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced && line.startsWith("#")) {
                String h = line.replaceFirst("^#+\\s*", "").strip().toLowerCase(Locale.ROOT);
                out.add(h.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
            }
        }
        return out;
    }
}
