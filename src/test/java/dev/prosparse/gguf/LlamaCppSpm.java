package dev.prosparse.gguf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The engine's SentencePiece tokenizer, re-implemented from its algorithm (llama.cpp's {@code llm_tokenizer_spm} at
 * PowerInfer d3ebd7c) for tests that cannot run the engine: one space prepended, spaces as ▁, UTF-8 characters as
 * symbols, then repeatedly merge the adjacent pair whose joined text is a vocabulary token with the highest score (ties:
 * the leftmost), and spell symbols that are not tokens as {@code <0xXX>} byte tokens. BOS first.
 */
final class LlamaCppSpm {
    private final Map<String, Integer> ids = new HashMap<>();
    private final float[] scores;
    private final int bos;

    LlamaCppSpm(List<String> tokens, float[] scores, int bos) {
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);   // the engine's token_to_id: the last id of a text wins
        }
        this.scores = scores;
        this.bos = bos;
    }

    private record Bigram(int left, int right, float score, int size) {}

    long[] encode(String text) {
        String s = (" " + text).replace(" ", "▁");
        List<String> sym = new ArrayList<>();
        for (int i = 0; i < s.length(); i += Character.charCount(s.codePointAt(i))) {
            sym.add(new String(Character.toChars(s.codePointAt(i))));
        }
        int n = sym.size();
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> q = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score)
                : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            add(q, sym, i - 1, i);
        }
        while (!q.isEmpty()) {
            Bigram b = q.poll();
            String l = sym.get(b.left), r = sym.get(b.right);
            if (l.isEmpty() || r.isEmpty() || utf8(l) + utf8(r) != b.size) {
                continue;
            }
            sym.set(b.left, l + r);
            sym.set(b.right, "");
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            add(q, sym, prev[b.left], b.left);
            add(q, sym, b.left, next[b.left]);
        }
        List<Long> out = new ArrayList<>();
        out.add((long) bos);
        for (int i = 0; i != -1; i = next[i]) {
            Integer id = ids.get(sym.get(i));
            if (id != null) {
                out.add((long) id);
            } else {
                for (byte x : sym.get(i).getBytes(StandardCharsets.UTF_8)) {
                    out.add((long) ids.get(String.format("<0x%02X>", x & 0xff)));
                }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private void add(PriorityQueue<Bigram> q, List<String> sym, int l, int r) {
        if (l < 0 || r < 0) {
            return;
        }
        String t = sym.get(l) + sym.get(r);
        Integer id = ids.get(t);
        if (id != null) {
            q.add(new Bigram(l, r, scores[id], utf8(t)));
        }
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
