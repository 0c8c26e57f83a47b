package dev.prosparse.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.prosparse.device.DeviceSetup;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.device.Natives;
import dev.prosparse.util.Torch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code prosparse doctor}: what the tool runs on, and what to do when no GPU is used. */
@Command(name = "doctor",
        mixinStandardHelpOptions = true,
        description = {"Print Java, DJL and libtorch versions, where the native libraries came from, the GPUs DJL sees,",
            "and what to do when no GPU is used (docs/gpu.md)."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse doctor",
            "  prosparse --verbose doctor",
            "",
            "With your own libtorch: set PYTORCH_LIBRARY_PATH, PYTORCH_VERSION and PYTORCH_FLAVOR first (docs/gpu.md)."})
public final class DoctorCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("prosparse " + Main.version());
        System.out.println("java       " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        System.out.println("djl        " + Engine.getDjlVersion());
        Engine engine = Torch.start(0);
        System.out.println("engine     " + engine.getEngineName() + " " + engine.getVersion() + ", flavour " + Natives.flavour());
        System.out.println("libtorch   " + Natives.libtorchPath());
        System.out.println("  from     " + source());
        for (String v : new String[] {"PYTORCH_LIBRARY_PATH", "PYTORCH_VERSION", "PYTORCH_FLAVOR", "DJL_CACHE_DIR", "CUDA_VISIBLE_DEVICES"}) {
            String val = System.getenv(v);
            if (val != null) {
                System.out.println("  " + v + "=" + val);
            }
        }
        int gpus = DeviceSpec.gpuCount(engine);
        System.out.println("gpus       " + gpus);
        for (int i = 0; i < gpus; i++) {
            System.out.println("  " + DeviceSetup.describe(Device.gpu(i)));
        }
        System.out.println("auto       --device auto computes on " + (gpus > 0 ? "cuda:0" : "the CPU"));
        if (gpus == 0) {
            System.out.println();
            System.out.println("No GPU is used. " + (Natives.flavour().startsWith("cpu")
                    ? "This build carries DJL's CPU libtorch. For NVIDIA GPUs: online, build with `mvn -Pcuda package`"
                        + " (DJL downloads its CUDA 12.8 libtorch 2.7.1 on first start); offline, point PYTORCH_LIBRARY_PATH,"
                        + " PYTORCH_VERSION and PYTORCH_FLAVOR at an installed CUDA libtorch with a DJL JNI built for it"
                        + " (scripts/build-djl-jni.sh). docs/gpu.md has both."
                    : "The libtorch loaded has CUDA support but DJL sees no GPU: check `nvidia-smi`, the driver and"
                        + " CUDA_VISIBLE_DEVICES."));
        }
        return 0;
    }

    private static String source() {
        if (System.getenv("PYTORCH_LIBRARY_PATH") != null) {
            return "PYTORCH_LIBRARY_PATH (an installed libtorch; the DJL JNI from DJL's cache folder)";
        }
        String p = Natives.libtorchPath();
        if (p.contains("cpu")) {
            return "the pytorch-native-cpu jar on the class path, unpacked into DJL's cache folder";
        }
        return "DJL's cache folder (downloaded by DJL, or placed there)";
    }
}
