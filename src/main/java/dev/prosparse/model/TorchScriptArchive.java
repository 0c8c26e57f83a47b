package dev.prosparse.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript archive of a module without parameters or buffers, written the way {@code torch.jit.save} writes
 * one (checked against torch 2.11's output; docs/gpu.md): a zip whose entries sit under one folder,
 * <pre>
 *   NAME/data.pkl            the module object: pickle protocol 2, class __torch__.CLASS, state {training: True}
 *   NAME/code/__torch__.py   the class in TorchScript's serialized source (libtorch compiles it on load)
 *   NAME/constants.pkl       the constants table: an empty tuple
 *   NAME/version             the file-format version, 3
 *   NAME/byteorder           little
 * </pre>
 * Entries are stored uncompressed. Written in Java so that the tool needs no Python and carries no binary module
 * file: the source below is the whole module.
 */
public final class TorchScriptArchive {
    private TorchScriptArchive() {}

    /**
     * @param name      the archive's folder (any identifier)
     * @param className the module's class, {@code __torch__.<className>}
     * @param forward   the forward method in TorchScript's serialized source, indented by 2 under the class
     *                  (its first parameter {@code self: __torch__.<className>})
     */
    public static byte[] write(String name, String className, String forward) {
        String code = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + forward;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            put(zip, name + "/data.pkl", moduleObject(className));
            put(zip, name + "/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            put(zip, name + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});   // PROTO 2, EMPTY_TUPLE, STOP
            put(zip, name + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            put(zip, name + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    /**
     * The pickle of {@code __torch__.CLASS} with state {@code {"training": True}}: PROTO 2, GLOBAL, EMPTY_TUPLE,
     * NEWOBJ, EMPTY_DICT, MARK, BINUNICODE "training", NEWTRUE, SETITEMS, BUILD, STOP.
     */
    static byte[] moduleObject(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        p.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
        p.write(')');
        p.write(0x81);
        p.write('}');
        p.write('(');
        byte[] key = "training".getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.write(key.length);   // 4-byte little-endian length
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(key);
        p.write(0x88);
        p.write('u');
        p.write('b');
        p.write('.');
        return p.toByteArray();
    }

    private static void put(ZipOutputStream zip, String path, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(path);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        e.setTime(0);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
