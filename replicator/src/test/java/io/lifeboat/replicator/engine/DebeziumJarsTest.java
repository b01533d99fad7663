package io.lifeboat.replicator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.data.SchemaUtil;
import io.debezium.embedded.Connect;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The Debezium jars are a mixed set: Maven Central here serves {@code debezium-embedded} only up to 3.6.x, while the
 * connector and its common module come from 3.7.x, the first line whose {@code LastEvent} metric no longer builds a
 * Jackson {@code ObjectMapper} per event (upstream dbz#2492). These tests guard both halves of that choice when a
 * version changes in the parent pom.
 */
class DebeziumJarsTest {
    private static final String OBJECT_MAPPER = "com/fasterxml/jackson/databind/ObjectMapper";

    @Test
    void everyDebeziumMemberTheEmbeddedEngineUsesExistsInTheOtherDebeziumJars() throws IOException {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        try (JarFile jar = new JarFile(jarOf(Connect.class).toFile())) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                if (!entry.getName().endsWith(".class")) {
                    continue;
                }
                for (MemberRef ref : MemberRef.readAll(jar.getInputStream(entry).readAllBytes())) {
                    // Members of the embedded jar's own classes link with themselves; only the seams between
                    // Debezium's modules can break when their versions differ.
                    if (!ref.owner().startsWith("io/debezium/") || definedIn(jar, ref.owner())) {
                        continue;
                    }
                    checked++;
                    if (!resolves(ref)) {
                        missing.add(entry.getName() + " -> " + ref);
                    }
                }
            }
        }
        assertThat(checked).as("members checked").isGreaterThan(20);
        assertThat(missing).as("members the embedded engine calls but the other Debezium jars lack").isEmpty();
    }

    @Test
    void theLastEventMetricBuildsNoObjectMapperPerEvent() throws IOException {
        // CommonEventMeter.onEvent renders every event's key through SchemaUtil; before dbz#2492 its writer held
        // an ObjectMapper of its own, one per rendered event (about a third of the streaming thread here).
        List<MemberRef> constructions = new ArrayList<>();
        int classes = 0;
        String prefix = SchemaUtil.class.getName().replace('.', '/');
        try (JarFile jar = new JarFile(jarOf(SchemaUtil.class).toFile())) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                if (entry.getName().startsWith(prefix) && entry.getName().endsWith(".class")) {
                    classes++;
                    MemberRef.readAll(jar.getInputStream(entry).readAllBytes()).stream()
                            .filter(r -> r.owner().equals(OBJECT_MAPPER) && r.name().equals("<init>"))
                            .forEach(constructions::add);
                }
            }
        }
        assertThat(classes).as("SchemaUtil classes read").isGreaterThan(0);
        assertThat(constructions).as("ObjectMapper constructions in " + jarOf(SchemaUtil.class).getFileName())
                .isEmpty();
    }

    private static Path jarOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean definedIn(JarFile jar, String internalName) {
        return jar.getEntry(internalName + ".class") != null;
    }

    private static boolean resolves(MemberRef ref) {
        ClassLoader loader = DebeziumJarsTest.class.getClassLoader();
        try {
            Class<?> owner = Class.forName(ref.owner().replace('/', '.'), false, loader);
            if (ref.kind() == MemberRef.Kind.FIELD) {
                Class<?> type = MethodType.fromMethodDescriptorString("(" + ref.descriptor() + ")V", loader)
                        .parameterType(0);
                return hasField(owner, ref.name(), type, new HashSet<>());
            }
            MethodType type = MethodType.fromMethodDescriptorString(ref.descriptor(), loader);
            if (ref.name().equals("<init>")) {
                return Arrays.stream(owner.getDeclaredConstructors())
                        .anyMatch(c -> Arrays.equals(c.getParameterTypes(), type.parameterArray()));
            }
            return hasMethod(owner, ref.name(), type, new HashSet<>())
                    || owner.isInterface() && hasMethod(Object.class, ref.name(), type, new HashSet<>());
        } catch (ClassNotFoundException | TypeNotPresentException | LinkageError e) {
            return false;
        }
    }

    private static boolean hasMethod(Class<?> type, String name, MethodType signature, Set<Class<?>> seen) {
        if (type == null || !seen.add(type)) {
            return false;
        }
        boolean here = Arrays.stream(type.getDeclaredMethods()).anyMatch(m -> m.getName().equals(name)
                && m.getReturnType() == signature.returnType()
                && Arrays.equals(m.getParameterTypes(), signature.parameterArray()));
        return here || hasMethod(type.getSuperclass(), name, signature, seen)
                || Arrays.stream(type.getInterfaces()).anyMatch(i -> hasMethod(i, name, signature, seen));
    }

    private static boolean hasField(Class<?> type, String name, Class<?> fieldType, Set<Class<?>> seen) {
        if (type == null || !seen.add(type)) {
            return false;
        }
        for (Field f : type.getDeclaredFields()) {
            if (f.getName().equals(name) && f.getType() == fieldType) {
                return true;
            }
        }
        return hasField(type.getSuperclass(), name, fieldType, seen)
                || Arrays.stream(type.getInterfaces()).anyMatch(i -> hasField(i, name, fieldType, seen));
    }

    /** A field or method a class file names in its constant pool (JVMS 4.4), which the JVM links when run. */
    private record MemberRef(Kind kind, String owner, String name, String descriptor) {
        enum Kind { FIELD, METHOD }

        static List<MemberRef> readAll(byte[] classFile) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
            if (in.readInt() != 0xCAFEBABE) {
                throw new IOException("not a class file");
            }
            in.readUnsignedShort();
            in.readUnsignedShort();
            int count = in.readUnsignedShort();
            int[] tag = new int[count];
            int[] first = new int[count];
            int[] second = new int[count];
            String[] utf8 = new String[count];
            for (int i = 1; i < count; i++) {
                tag[i] = in.readUnsignedByte();
                switch (tag[i]) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 3, 4 -> in.readInt();
                    case 5, 6 -> {
                        in.readLong();
                        i++;                                   // a long or double takes two entries
                    }
                    case 7, 8, 16, 19, 20 -> first[i] = in.readUnsignedShort();
                    case 15 -> {
                        in.readUnsignedByte();
                        first[i] = in.readUnsignedShort();
                    }
                    case 9, 10, 11, 12, 17, 18 -> {
                        first[i] = in.readUnsignedShort();
                        second[i] = in.readUnsignedShort();
                    }
                    default -> throw new IOException("unknown constant pool tag " + tag[i]);
                }
            }
            List<MemberRef> refs = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                if (tag[i] == 9 || tag[i] == 10 || tag[i] == 11) {
                    int nameAndType = second[i];
                    refs.add(new MemberRef(tag[i] == 9 ? Kind.FIELD : Kind.METHOD, utf8[first[first[i]]],
                            utf8[first[nameAndType]], utf8[second[nameAndType]]));
                }
            }
            return refs;
        }

        @Override
        public String toString() {
            return owner + "." + name + descriptor;
        }
    }
}
