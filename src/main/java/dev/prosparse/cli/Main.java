package dev.prosparse.cli;

import ch.qos.logback.classic.Level;
import dev.prosparse.ProsparseException;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code prosparse}: the command-line entry point. Commands never call System.exit; only {@link #main} does. */
@Command(name = "prosparse",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {"Turn a SiLU LLaMA or MiniCPM checkpoint into a sparsely-activated one (ProSparse),",
            "and measure its activation sparsity."},
        subcommands = {TrainCommand.class, SparsifyCommand.class, CalibrateCommand.class, ReportCommand.class, ConvertCommand.class,
            PresetsCommand.class, PredictorsCommand.class, ExportCommand.class, BenchCommand.class, DoctorCommand.class,
            CommandLine.HelpCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse train",
            "  prosparse train --config configs/train/prosparse-tiny.yaml",
            "  prosparse report sparsity --model checkpoints/tiny-llama --act relu",
            "  prosparse report sparsity --model checkpoints/tiny-llama --format json > report.json",
            "  prosparse report training --run checkpoints/runs/<run>",
            "  prosparse convert --model llama2-7b --act relu --out llama2-7b-relu",
            "  prosparse doctor",
            "",
            "Exit codes: 0 ok, 2 usage or input, 3 checkpoint format, 4 data, 5 I/O, 6 training diverged, 130 interrupted."})
public final class Main {

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Debug logging and stack traces on errors.")
    void setVerbose(boolean verbose) {
        Main.verbose = verbose;
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.prosparse")).setLevel(verbose ? Level.DEBUG : Level.INFO);
    }

    static boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int run(String... args) {
        verbose = false;
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        cl.setParameterExceptionHandler(Main::badArguments);
        cl.setUsageHelpWidth(110); // room for the examples in every command's footer
        CommandListSection.install(cl);
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("error: out of memory (" + e.getMessage() + "); give the JVM more heap with"
                    + " PROSPARSE_JAVA_OPTS=-Xmx16g, or lower --batch-size / batch_size");
            return 5;
        } catch (Error e) {
            System.err.println("internal error: " + e + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
            if (verbose) {
                e.printStackTrace();
            }
            return 1;
        }
    }

    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof ProsparseException) {
            err.println("error: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return ((ProsparseException) e).exitCode();
        }
        err.println("internal error: " + e + (verbose ? "" : " (rerun with --verbose for the stack trace, and please report it)"));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    /**
     * A flag picocli could not parse (unknown option, a value of the wrong type, a missing required option): one
     * line naming it, picocli's "did you mean" suggestions, and where the options are listed, instead of the whole
     * usage screen. Exit 2.
     */
    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("error: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("(the options: " + cl.getCommandSpec().qualifiedName() + " --help)");
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The version from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"prosparse " + version()};
        }
    }

    /** The tool's version (see {@link dev.prosparse.util.BuildInfo}). */
    public static String version() {
        return dev.prosparse.util.BuildInfo.version();
    }
}
