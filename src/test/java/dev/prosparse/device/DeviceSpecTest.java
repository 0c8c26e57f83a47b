package dev.prosparse.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Torch;
import org.junit.jupiter.api.Test;

/** --device parsing and resolution on this (GPU-less) machine, and the precision values. */
class DeviceSpecTest {

    @Test
    void parsesTheFourForms() {
        assertEquals(DeviceSpec.AUTO, DeviceSpec.parse("auto", "--device"));
        assertEquals(DeviceSpec.CPU, DeviceSpec.parse("CPU", "--device"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 0), DeviceSpec.parse("cuda", "--device"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 2), DeviceSpec.parse("cuda:2", "--device"));
        ProsparseException e = assertThrows(ProsparseException.class, () -> DeviceSpec.parse("tpu", "--device"));
        assertEquals(2, e.exitCode());
        assertEquals("--device tpu: expected auto, cpu, cuda or cuda:N (for example --device cuda:0)", e.getMessage());
        assertThrows(ProsparseException.class, () -> DeviceSpec.parse("cuda:-1", "--device"));
    }

    @Test
    void autoAndCpuAreTheCpuHereAndCudaIsAUsageErrorNamingWhatDjlFound() {
        var engine = Torch.start(2);
        assertEquals(0, DeviceSpec.gpuCount(engine), "this test machine has no GPU");
        assertEquals(Device.cpu(), DeviceSpec.AUTO.resolve(engine, "--device"));
        assertEquals(Device.cpu(), DeviceSpec.CPU.resolve(engine, "--device"));
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> DeviceSpec.parse("cuda", "--device").resolve(engine, "--device"));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith("--device cuda:0: DJL sees no GPU (engine PyTorch 2.7.1, natives cpu)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("mvn -Pcuda package") && e.getMessage().contains("--device cpu"), e.getMessage());
    }

    @Test
    void fp16MixedOnTheCpuIsRefusedWithTheReason() {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> DeviceSetup.forTraining(DeviceSpec.AUTO, Precision.FP16_MIXED, 2, "--device", "--precision"));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith("--precision fp16-mixed needs a CUDA GPU, but this run computes on the CPU"
                + " (device auto found no GPU)"), e.getMessage());
    }

    @Test
    void bf16IsRefusedWithTheReasonAndFp16AloneIsNotOffered() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("bf16"));
        assertTrue(e.getMessage().startsWith("bf16 is not supported: DJL 0.35.1's native bridge aborts the JVM"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("bfloat16-mixed"));
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16"));
        assertTrue(f.getMessage().contains("use fp16-mixed"), f.getMessage());
        assertEquals(Precision.FP16_MIXED, Precision.parse("fp16-mixed"));
        assertEquals(Precision.FP32, Precision.parse("FP32"));
    }
}
