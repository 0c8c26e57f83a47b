package dev.prosparse.train;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds {@code --config}: a path relative to the current directory first, as for every other file argument; then a
 * shipped recipe by its path inside the install folder or by its name ({@code prosparse-tiny} →
 * {@code <home>/configs/train/prosparse-tiny.yaml}), so the shipped recipes work from any folder
 * (see {@code docs/paths.md}).
 */
public final class RecipeFiles {
    /** The shipped recipes, under the install folder. */
    public static final String FOLDER = "configs/train";

    private RecipeFiles() {}

    /** The recipe file to read, or {@code config} itself when nothing matches (its load names the missing file). */
    public static Path find(Path config) {
        if (config == null || Files.isRegularFile(config) || config.isAbsolute()) {
            return config;
        }
        Path home = dev.prosparse.hub.Presets.home();
        String name = config.toString();
        for (Path p : new Path[] {home.resolve(config), home.resolve(FOLDER).resolve(name),
            home.resolve(FOLDER).resolve(name + ".yaml")}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return config;
    }
}
