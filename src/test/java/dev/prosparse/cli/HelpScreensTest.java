package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every help screen: command lists show whole sentences, examples are never wrapped mid-command. */
class HelpScreensTest {

    static final int WIDTH = 110;

    @Test
    void topLevelCommandListShowsWholeSentences() {
        Cli top = Cli.run("--help");
        assertEquals(0, top.exitCode());
        String list = top.out().substring(top.out().indexOf("Commands:"), top.out().indexOf("Examples:"));
        assertTrue(list.replaceAll("\\s+", " ").contains("train Swap the FFN activation to ReLU (or another) and continue"
                + " training with a progressive L1 penalty on the FFN activations (ProSparse)."), list);
        // every entry (a line starting with two spaces and a name) ends, with its continuation lines, in a period
        for (String entry : list.split("\\R(?=  \\S)")) {
            if (!entry.startsWith("Commands:")) {
                assertTrue(entry.strip().endsWith("."), "cut description: " + entry);
            }
        }
    }

    @Test
    void everyHelpScreenFitsAndKeepsExamplesWhole() {
        for (List<String> command : commands(new CommandLine(new Main()), new ArrayList<>())) {
            List<String> args = new ArrayList<>(command);
            args.add("--help");
            Cli r = Cli.run(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), String.join(" ", args) + ": " + r.err());
            List<String> lines = r.out().lines().toList();
            boolean examples = false;
            for (String line : lines) {
                assertTrue(line.length() <= WIDTH, String.join(" ", args) + ": line of " + line.length() + ": " + line);
                if (line.equals("Examples:")) {
                    examples = true;
                } else if (examples && (line.isBlank() || line.startsWith("Exit codes"))) {
                    examples = false;
                } else if (examples) {
                    assertTrue(line.startsWith("  prosparse ") || line.startsWith("      "),
                            String.join(" ", args) + ": an example was wrapped: '" + line + "'");
                }
            }
        }
    }

    /**
     * picocli renders help text through String.format: a lone '%' (say "--ppl-budget 1%") makes it log a warning and
     * print the raw text. Every description, header and footer line must be a valid format string.
     */
    @Test
    void helpTextHasNoLonePercentSign() {
        List<CommandLine> all = new ArrayList<>();
        collect(new CommandLine(new Main()), all);
        for (CommandLine cl : all) {
            picocli.CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
            List<String> texts = new ArrayList<>();
            texts.addAll(List.of(spec.usageMessage().description()));
            texts.addAll(List.of(spec.usageMessage().header()));
            texts.addAll(List.of(spec.usageMessage().footer()));
            // options as written in their annotations (picocli's description() returns them already rendered)
            List<Object> owners = new ArrayList<>(List.of(spec.userObject()));
            spec.mixins().values().forEach(m -> owners.add(m.userObject()));
            for (Object owner : owners) {
                for (Class<?> c = owner.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                    for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                        CommandLine.Option o = f.getAnnotation(CommandLine.Option.class);
                        CommandLine.Parameters p = f.getAnnotation(CommandLine.Parameters.class);
                        texts.addAll(List.of(o != null ? o.description() : p != null ? p.description() : new String[0]));
                    }
                }
            }
            for (String t : texts) {
                try {
                    String.format(java.util.Locale.ROOT, t);
                } catch (java.util.IllegalFormatException e) {
                    throw new AssertionError(spec.qualifiedName() + ": help text is not a valid format string (write %% for"
                            + " a percent sign): " + t, e);
                }
            }
        }
    }

    private static void collect(CommandLine cl, List<CommandLine> out) {
        out.add(cl);
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                collect(sub, out);
            }
        });
    }

    /** The paths of every command below {@code cl} ("report sparsity", ...), without picocli's own help command. */
    private static List<List<String>> commands(CommandLine cl, List<String> path) {
        List<List<String>> out = new ArrayList<>();
        out.add(path);
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> p = new ArrayList<>(path);
                p.add(name);
                out.addAll(commands(sub, p));
            }
        });
        return out;
    }

    @Test
    void helpCommandAndTopLevelDescriptionReadWell() {
        Cli r = Cli.run("help");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().contains("%n"), "a raw %n in: " + r.out());
        assertTrue(r.out().contains("  help ") && r.out().contains("Display help information"), r.out());
        String top = String.join(" ", r.out().lines().toList());
        for (String family : List.of("Llama 2", "Mistral", "Qwen2", "Qwen3", "MiniCPM")) {
            assertTrue(top.contains(family), "the top-level description names " + family + ": " + r.out());
        }
    }

    /** Source lines of a description are not line breaks: picocli wraps the joined paragraph at the screen width. */
    @Test
    void descriptionsAreWrappedAtTheWidthNotMidSentence() {
        assertArrayEquals(new String[] {"one two three", "", "four"},
                CommandListSection.paragraphs(new String[] {"one two", " three", "", "four"}));
        Cli r = Cli.run("predictors", "train", "--help");
        List<String> lines = r.out().lines().toList();
        int start = 1;
        while (lines.get(start).startsWith(" ")) {
            start++; // the synopsis's continuation lines
        }
        int checked = 0;
        for (int i = start; !lines.get(i + 1).isBlank() && !lines.get(i + 1).startsWith(" "); i++, checked++) {
            String next = lines.get(i + 1).strip().split(" ")[0];
            assertTrue(lines.get(i).length() + 1 + next.length() > WIDTH - 1, "line " + i + " ends early: '" + lines.get(i) + "'");
        }
        assertTrue(checked >= 4, "the description spans lines: " + r.out());
    }
}
