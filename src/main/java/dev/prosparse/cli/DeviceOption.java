package dev.prosparse.cli;

import picocli.CommandLine.Option;

/** {@code --device}: where the work runs, spelt the same in every command that runs a model. */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "DEVICE",
            description = "auto, cpu, cuda or cuda:N. Default: auto (the first GPU DJL sees, else the CPU); train and calibrate: the recipe's device key.")
    String device;

    /** The flag, or {@code fallback} when it was not given. */
    String orElse(String fallback) {
        return device != null ? device : fallback;
    }
}
