package dev.prosparse.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The floors of {@code docs/architecture.md}: a package may import its own floor's packages and any floor below it,
 * never one above; {@code cli} is on top and imported by nothing; no two packages import each other, directly or round
 * a loop. A new package must be given a floor here and in the page.
 */
class ArchitectureTest {
    private static final String ROOT = "dev.prosparse";

    /** Bottom to top; each floor's packages as ArchUnit package identifiers. */
    private static final String[][] FLOORS = {
        {"Base", ROOT, ROOT + ".util.."},
        {"Config", ROOT + ".config.."},
        {"Storage", ROOT + ".data..", ROOT + ".io.."},
        {"Model", ROOT + ".model..", ROOT + ".hub..", ROOT + ".optim.."},
        {"Engine", ROOT + ".device..", ROOT + ".sparsity..", ROOT + ".convert..", ROOT + ".predict..", ROOT + ".bench..",
            ROOT + ".plan..", ROOT + ".dist.."},
        {"Output", ROOT + ".report..", ROOT + ".gguf.."},
        {"Training", ROOT + ".train.."},
        {"Workflows", ROOT + ".pipeline..", ROOT + ".calib..", ROOT + ".calibrate..", ROOT + ".calibration.."},
        {"Cli", ROOT + ".cli.."},
    };

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);
    }

    @Test
    void noFloorImportsAFloorAboveIt() {
        var arch = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .optionalLayer(FLOORS[0][0]).definedBy(packages(FLOORS[0]));
        for (int i = 1; i < FLOORS.length; i++) {
            arch = arch.optionalLayer(FLOORS[i][0]).definedBy(packages(FLOORS[i]));
        }
        var rule = arch.whereLayer("Cli").mayNotBeAccessedByAnyLayer();
        for (int i = 0; i < FLOORS.length - 1; i++) {
            rule = rule.whereLayer(FLOORS[i][0]).mayOnlyBeAccessedByLayers(floorsAbove(i));
        }
        rule.because("docs/architecture.md: a package imports its own floor and the floors below it").check(main);
    }

    @Test
    void packagesFormNoCycle() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles()
                .because("docs/architecture.md: packages import each other one way only").check(main);
    }

    @Test
    void everyPackageHasAFloor() {
        String[] all = java.util.Arrays.stream(FLOORS).flatMap(f -> java.util.Arrays.stream(f, 1, f.length))
                .toArray(String[]::new);
        classes().should().resideInAnyPackage(all)
                .because("a new package needs a floor in docs/architecture.md and in ArchitectureTest.FLOORS").check(main);
    }

    private static String[] packages(String[] floor) {
        return java.util.Arrays.copyOfRange(floor, 1, floor.length);
    }

    private static String[] floorsAbove(int i) {
        String[] names = new String[FLOORS.length - 1 - i];
        for (int j = i + 1; j < FLOORS.length; j++) {
            names[j - i - 1] = FLOORS[j][0];
        }
        return names;
    }
}
