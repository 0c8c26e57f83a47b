package dev.prosparse.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * The "Commands:" list of every help screen. Picocli shows the first line of each command's description, which
 * stops wherever that line was wrapped in the source ("... continue training with a progressive L1"); this list
 * shows the description's whole first sentence instead, wrapped under the description column.
 */
final class CommandListSection implements CommandLine.IHelpSectionRenderer {

    private CommandListSection() {
    }

    /** Installs the list on {@code cl} and every subcommand under it. */
    static void install(CommandLine cl) {
        cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, new CommandListSection());
        UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
        usage.description(paragraphs(usage.description()));
        cl.getSubcommands().values().forEach(CommandListSection::install);
    }

    /**
     * A description written as source lines, joined into paragraphs that picocli wraps at the screen's width (a source
     * line is not a line break: a line of the screen ending mid-sentence is what the source lines gave). An empty line
     * separates paragraphs.
     */
    static String[] paragraphs(String[] description) {
        List<String> out = new ArrayList<>();
        StringBuilder p = new StringBuilder();
        for (String line : description) {
            if (line.isBlank()) {
                if (p.length() > 0) {
                    out.add(p.toString());
                    p.setLength(0);
                }
                out.add("");
            } else {
                p.append(p.length() > 0 ? " " : "").append(line.strip());
            }
        }
        if (p.length() > 0) {
            out.add(p.toString());
        }
        return out.toArray(String[]::new);
    }

    @Override
    public String render(Help help) {
        Map<String, Help> subs = help.subcommands();
        if (subs.isEmpty()) {
            return "";
        }
        int nameWidth = subs.keySet().stream().mapToInt(String::length).max().orElse(0);
        int indent = 2 + nameWidth + 2;
        int width = help.commandSpec().usageMessage().width();
        StringBuilder out = new StringBuilder();
        subs.forEach((name, sub) -> {
            UsageMessageSpec usage = sub.commandSpec().usageMessage();
            String[] text = usage.header().length > 0 ? usage.header() : usage.description(); // help has a header only
            List<String> lines = wrap(firstSentence(text), width - indent);
            for (int i = 0; i < lines.size(); i++) {
                String lead = i == 0 ? "  " + name + " ".repeat(nameWidth - name.length() + 2) : " ".repeat(indent);
                out.append(lead).append(lines.get(i)).append(System.lineSeparator());
            }
        });
        return out.toString();
    }

    /** The description up to the end of its first sentence (a period followed by a space and a capital, or the end). */
    static String firstSentence(String[] description) {
        String all = String.join(" ", description).replace("%n", " ").replaceAll("\\s+", " ").trim();
        for (int i = all.indexOf(". "); i >= 0; i = all.indexOf(". ", i + 1)) {
            if (i + 2 < all.length() && Character.isUpperCase(all.charAt(i + 2))) {
                return all.substring(0, i + 1);
            }
        }
        return all;
    }

    /** Words wrapped into lines of at most {@code width} characters (a longer word gets a line of its own). */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() > 0 ? " " : "").append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }
}
